-- Course question: which products changed inventory, and when? One row per change between two
-- snapshot versions (e.g. `where week = 4` answers "what changed from week 3 to week 4").
with versions as (
    select
        product_id,
        name as product_name,
        inventory,
        shop_week,
        lag(inventory) over (partition by product_id order by dbt_valid_from) as previous_inventory,
        lag(shop_week) over (partition by product_id order by dbt_valid_from) as previous_week
    from {{ ref('products_snapshot') }}
)

select
    product_id,
    product_name,
    previous_week,
    shop_week as week,
    previous_inventory,
    inventory,
    inventory - previous_inventory as inventory_change
from versions
where previous_inventory is not null
