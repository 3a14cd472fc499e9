- dashboard: customers
  title: Customers
  description: "Who our customers are and where they live."
  layout: newspaper
  preferred_viewer: dashboards-next
  elements:
  - name: customer_count
    title: Customers
    model: greenery
    explore: users
    type: single_value
    fields: [users.count]
    listen:
      State: users.state
    row: 0
    col: 0
    width: 6
    height: 4
  - name: customers_by_state
    title: Customers by state
    model: greenery
    explore: users
    type: looker_geo_choropleth
    fields: [users.state, users.count]
    sorts: [users.count desc]
    listen:
      State: users.state
    row: 0
    col: 6
    width: 18
    height: 8
  - name: new_customers
    title: New customers by week
    model: greenery
    explore: users
    type: looker_column
    fields: [users.created_week, users.count]
    sorts: [users.created_week]
    row: 8
    col: 0
    width: 24
    height: 6
  filters:
  - name: State
    title: State
    type: field_filter
    default_value: ''
    model: greenery
    explore: users
    field: users.state
