- dashboard: product_funnel
  title: Product Funnel
  description: "Sessions through the funnel: page view, add to cart, checkout, package shipped, with conversion rates."
  layout: newspaper
  preferred_viewer: dashboards-next
  elements:
  - name: funnel_intro
    type: text
    title_text: How to read this funnel
    body_text: "Each stage counts sessions that reached it at least once. Rates are relative to sessions with a page view."
    row: 0
    col: 0
    width: 24
    height: 2
  - name: funnel_stages
    title: Sessions by funnel stage
    model: greenery
    explore: sessions_funnel
    type: looker_funnel
    fields: [sessions_funnel.sessions, sessions_funnel.sessions_with_add_to_cart, sessions_funnel.sessions_with_checkout,
      sessions_funnel.sessions_with_package_shipped]
    listen:
      Session Date: sessions_funnel.session_started_date
    row: 2
    col: 0
    width: 12
    height: 8
  - name: funnel_rates
    title: Conversion rates
    model: greenery
    explore: sessions_funnel
    type: single_value
    fields: [sessions_funnel.add_to_cart_rate, sessions_funnel.checkout_rate, sessions_funnel.package_shipped_rate]
    listen:
      Session Date: sessions_funnel.session_started_date
    row: 2
    col: 12
    width: 12
    height: 4
  - name: sessions_per_user
    title: Sessions per user
    model: greenery
    explore: sessions_funnel
    type: single_value
    fields: [user_sessions.average_sessions_per_user, user_sessions.users]
    row: 6
    col: 12
    width: 12
    height: 4
  - name: daily_funnel
    title: Funnel by day
    model: greenery
    explore: sessions_funnel
    type: looker_line
    fields: [sessions_funnel.session_started_date, sessions_funnel.sessions, sessions_funnel.sessions_with_checkout]
    sorts: [sessions_funnel.session_started_date desc]
    dynamic_fields:
    - table_calculation: checkout_share
      label: Checkout share
      expression: "${sessions_funnel.sessions_with_checkout} / ${sessions_funnel.sessions}"
      value_format_name: percent_1
    listen:
      Session Date: sessions_funnel.session_started_date
    row: 10
    col: 0
    width: 12
    height: 6
  - name: top_viewed_pages
    title: Most viewed product pages
    model: greenery
    explore: sessions_funnel
    type: looker_bar
    fields: [page_views.page_url, page_views.count]
    sorts: [page_views.count desc]
    limit: 10
    row: 10
    col: 12
    width: 12
    height: 6
  filters:
  - name: Session Date
    title: Session Date
    type: field_filter
    default_value: ''
    allow_multiple_values: true
    required: false
    model: greenery
    explore: sessions_funnel
    field: sessions_funnel.session_started_date
