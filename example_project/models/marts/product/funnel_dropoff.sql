-- Course question: where does the funnel drop most? One row per step, with the drop from the
-- previous step as sessions and as a share of all sessions.
with steps as (
    select 1 as step_order, 'page_view' as step, count(*) filter (where has_page_view) as sessions
    from {{ ref('fact_sessions_funnel') }}
    union all
    select 2, 'add_to_cart', count(*) filter (where has_add_to_cart) from {{ ref('fact_sessions_funnel') }}
    union all
    select 3, 'checkout', count(*) filter (where has_checkout) from {{ ref('fact_sessions_funnel') }}
    union all
    select 4, 'package_shipped', count(*) filter (where has_package_shipped)
    from {{ ref('fact_sessions_funnel') }}
),

measured as (
    select
        step_order,
        step,
        sessions,
        lag(step) over (order by step_order) as previous_step,
        lag(sessions) over (order by step_order) - sessions as dropped_sessions,
        round(100.0 * sessions / first_value(sessions) over (order by step_order), 1) as pct_of_sessions
    from steps
)

select
    *,
    dropped_sessions = max(dropped_sessions) over () as is_largest_drop
from measured
