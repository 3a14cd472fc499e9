-- One row per session: event counts by type (pivoted by a macro) and the session's time span.
select
    session_id,
    min(user_id) as user_id,
    min(created_at) as session_started_at,
    max(created_at) as session_ended_at,
    count(*) as total_events,
    count(distinct product_id) as products_viewed,
    {{ pivot_event_types() }}
from {{ ref('stg_events') }}
group by session_id
