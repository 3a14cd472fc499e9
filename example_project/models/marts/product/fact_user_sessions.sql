-- One row per user who visited: sessions and how far they went in the funnel.
select
    s.user_id,
    u.first_name,
    u.last_name,
    count(*) as sessions,
    sum(s.page_view_events) as page_views,
    sum(s.add_to_cart_events) as add_to_carts,
    sum(s.checkout_events) as checkouts,
    count(*) filter (where s.add_to_cart_events > 0) as sessions_with_add_to_cart,
    count(*) filter (where s.checkout_events > 0) as sessions_with_checkout,
    min(s.session_started_at) as first_session_at,
    max(s.session_ended_at) as last_session_at
from {{ ref('int_session_events') }} as s
left join {{ ref('stg_users') }} as u on u.user_id = s.user_id
group by s.user_id, u.first_name, u.last_name
