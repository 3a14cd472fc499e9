{% snapshot products_snapshot %}
{{ config(unique_key='product_id', strategy='check', check_cols=['inventory']) }}
-- depends_on: {{ ref('products') }}
-- shop_week is not a check column: each version keeps the week in which it first appeared.
select
    product_id,
    name,
    price,
    inventory,
    {{ shop_week() }} as shop_week
from {{ source('greenery', 'products') }}
{% endsnapshot %}
