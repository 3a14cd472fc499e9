- dashboard: inventory_health
  title: Inventory Health
  description: "Current stock per product, how it moved week by week, and the products shoppers look at most."
  layout: newspaper
  preferred_viewer: dashboards-next
  elements:
  - name: current_inventory
    title: Current inventory
    model: greenery
    explore: products
    type: looker_grid
    fields: [products.name, products.inventory, products.price]
    sorts: [products.inventory]
    listen:
      Product: products.name
    row: 0
    col: 0
    width: 12
    height: 8
  - name: out_of_stock
    title: Products out of stock
    model: greenery
    explore: products
    type: single_value
    fields: [products.out_of_stock_products]
    row: 0
    col: 12
    width: 12
    height: 4
  - name: inventory_by_week
    title: Inventory by week
    model: greenery
    explore: products
    type: looker_line
    fields: [inventory_history.shop_week, inventory_history.name, inventory_history.inventory_level]
    pivots: [inventory_history.name]
    sorts: [inventory_history.shop_week]
    listen:
      Product: products.name
    row: 8
    col: 0
    width: 24
    height: 8
  - name: views_vs_stock
    title: Page views against stock
    model: greenery
    explore: products
    type: looker_scatter
    fields: [products.name, products.inventory, product_page_views.total_page_views]
    filters:
      product_page_views.page_viewed_date: 30 days
    sorts: [product_page_views.total_page_views desc]
    row: 4
    col: 12
    width: 12
    height: 4
  filters:
  - name: Product
    title: Product
    type: field_filter
    default_value: ''
    model: greenery
    explore: products
    field: products.name
