-- Course question: which products went out of stock, in which week, and when were they restocked?
with versions as (
    select
        product_id,
        name as product_name,
        inventory,
        shop_week,
        lead(shop_week) over (partition by product_id order by dbt_valid_from) as next_week
    from {{ ref('products_snapshot') }}
)

select
    product_id,
    product_name,
    shop_week as out_of_stock_week,
    next_week as restocked_week
from versions
where inventory <= 0
