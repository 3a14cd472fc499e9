with items as (
    select
        order_id,
        count(*) as distinct_products,
        sum(quantity) as units
    from {{ ref('stg_order_items') }}
    group by order_id
)

select
    o.order_id,
    o.user_id,
    o.address_id,
    o.created_at,
    o.status,
    o.promo_id,
    pr.discount as promo_discount,
    o.order_cost,
    o.shipping_cost,
    o.order_total as order_amount,
    i.distinct_products,
    i.units,
    o.shipping_service,
    o.estimated_delivery_at,
    o.delivered_at,
    date_diff('hour', o.created_at, o.delivered_at) as hours_to_delivery
from {{ ref('stg_orders') }} as o
left join {{ ref('stg_promos') }} as pr on pr.promo_id = o.promo_id
left join items as i on i.order_id = o.order_id
