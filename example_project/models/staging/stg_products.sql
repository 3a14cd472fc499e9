-- depends_on: {{ ref('products') }}
select
    product_id,
    name as product_name,
    price,
    inventory
from {{ source('greenery', 'products') }}
