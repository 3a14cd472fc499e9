- dashboard: orders_overview
  title: Orders Overview
  description: "Orders, revenue and promo usage, with the customers who ordered most."
  layout: newspaper
  preferred_viewer: dashboards-next
  elements:
  - name: orders_by_status
    title: Orders by status
    model: greenery
    explore: orders
    type: looker_pie
    fields: [orders.status, orders.count]
    sorts: [orders.count desc]
    listen:
      Order Date: orders.created_date
    row: 0
    col: 0
    width: 8
    height: 6
  - name: revenue_by_day
    title: Revenue by day
    model: greenery
    explore: orders
    type: looker_column
    fields: [orders.created_date, orders.total_revenue, orders.average_order_value]
    sorts: [orders.created_date]
    listen:
      Order Date: orders.created_date
    row: 0
    col: 8
    width: 16
    height: 6
  - name: top_customers
    title: Top customers
    model: greenery
    explore: orders
    type: looker_grid
    fields: [customers.full_name, customers.email, orders.count, orders.total_revenue]
    sorts: [orders.total_revenue desc]
    limit: 10
    row: 6
    col: 0
    width: 12
    height: 8
  - name: promo_usage
    title: Promo usage
    model: greenery
    explore: orders
    type: looker_bar
    fields: [orders.count, orders.orders_with_promo]
    pivots: [promos.status]
    filters:
      promos.discount: ">0"
    row: 6
    col: 12
    width: 12
    height: 8
  - name: orders_and_signups
    title: Orders and new customers by day
    type: looker_line
    merged_queries:
    - model: greenery
      explore: orders
      type: table
      fields: [orders.created_date, orders.count]
      sorts: [orders.created_date]
    - model: greenery
      explore: users
      type: table
      fields: [users.created_date, users.count]
      sorts: [users.created_date]
      join_fields:
      - field_name: users.created_date
        source_field_name: orders.created_date
    row: 14
    col: 0
    width: 24
    height: 6
  filters:
  - name: Order Date
    title: Order Date
    type: field_filter
    default_value: ''
    model: greenery
    explore: orders
    field: orders.created_date
