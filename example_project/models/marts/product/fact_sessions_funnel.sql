-- One row per session: which funnel steps it reached, and how many events of each kind it had.
select
    session_id,
    user_id,
    session_started_at,
    session_ended_at,
    page_view_events,
    add_to_cart_events,
    checkout_events,
    package_shipped_events,
    page_view_events > 0 as has_page_view,
    add_to_cart_events > 0 as has_add_to_cart,
    checkout_events > 0 as has_checkout,
    package_shipped_events > 0 as has_package_shipped,
    case
        when package_shipped_events > 0 then 'package_shipped'
        when checkout_events > 0 then 'checkout'
        when add_to_cart_events > 0 then 'add_to_cart'
        else 'page_view'
    end as furthest_step
from {{ ref('int_session_events') }}
