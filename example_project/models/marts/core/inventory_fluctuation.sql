-- Course question: which products' inventory fluctuated most? Ranked by total absolute change.
with changes as (
    select
        product_id,
        count(*) as changes,
        sum(abs(inventory_change)) as total_abs_change
    from {{ ref('inventory_changes') }}
    group by product_id
),

versions as (
    select
        product_id,
        any_value(name) as product_name,
        min(inventory) as min_inventory,
        max(inventory) as max_inventory
    from {{ ref('products_snapshot') }}
    group by product_id
)

select
    v.product_id,
    v.product_name,
    coalesce(c.changes, 0) as changes,
    coalesce(c.total_abs_change, 0) as total_abs_change,
    v.min_inventory,
    v.max_inventory,
    rank() over (order by coalesce(c.total_abs_change, 0) desc) as fluctuation_rank
from versions as v
left join changes as c on c.product_id = v.product_id
