-- A session cannot check out without adding to cart, nor ship without checking out.
select session_id
from {{ ref('fact_sessions_funnel') }}
where (has_checkout and not has_add_to_cart)
   or (has_package_shipped and not has_checkout)
   or not has_page_view
