-- depends_on: {{ ref('order_items') }}
select
    order_id,
    product_id,
    quantity
from {{ source('greenery', 'order_items') }}
