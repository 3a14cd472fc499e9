with orders as (
    select
        user_id,
        count(*) as orders,
        sum(order_amount) as lifetime_value,
        avg(order_amount) as average_order_value,
        count(promo_id) as orders_with_promo,
        min(created_at) as first_order_at,
        max(created_at) as last_order_at
    from {{ ref('fact_orders') }}
    group by user_id
)

select
    u.user_id,
    u.first_name,
    u.last_name,
    u.email,
    u.state,
    coalesce(o.orders, 0) as orders,
    coalesce(o.lifetime_value, 0) as lifetime_value,
    o.average_order_value,
    coalesce(o.orders_with_promo, 0) as orders_with_promo,
    coalesce(o.orders, 0) > 1 as is_repeat_buyer,
    o.first_order_at,
    o.last_order_at
from {{ ref('dim_users') }} as u
left join orders as o on o.user_id = u.user_id
