with sales as (
    select
        product_id,
        count(distinct order_id) as orders,
        sum(quantity) as units_sold
    from {{ ref('stg_order_items') }}
    group by product_id
)

select
    p.product_id,
    p.product_name,
    p.price,
    p.inventory,
    p.inventory = 0 as is_out_of_stock,
    coalesce(s.orders, 0) as orders,
    coalesce(s.units_sold, 0) as units_sold
from {{ ref('stg_products') }} as p
left join sales as s on s.product_id = p.product_id
