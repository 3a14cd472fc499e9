connection: "greenery_duckdb"

include: "/views/*.view.lkml"
include: "/views/derived/**/*.view.lkml"
include: "/refinements/*.lkml"
include: "/dashboards/*.dashboard.lookml"

datagroup: greenery_nightly {
  sql_trigger: SELECT max(created_at) FROM core.fact_orders ;;
  max_cache_age: "24 hours"
}

persist_with: greenery_nightly

# Orders with the customer who placed them (dim_users joined under the alias "customers").
explore: orders {
  from: fact_orders
  label: "Orders"

  join: customers {
    from: dim_users
    type: left_outer
    relationship: many_to_one
    sql_on: ${orders.user_id} = ${customers.user_id} ;;
  }

  join: promos {
    type: left_outer
    relationship: many_to_one
    sql_on: ${orders.promo_id} = ${promos.promo_id} ;;
  }

  join: customer_order_facts {
    from: user_order_facts
    type: left_outer
    relationship: many_to_one
    sql_on: ${customers.user_id} = ${customer_order_facts.user_id} ;;
    required_joins: [customers]
  }
}

# Customers, with their orders available but only joined when a query asks for them.
explore: users {
  from: dim_users
  label: "Customers"

  join: user_orders {
    from: fact_orders
    type: left_outer
    relationship: one_to_many
    sql_on: ${users.user_id} = ${user_orders.user_id} ;;
  }

  join: user_order_facts {
    type: left_outer
    relationship: one_to_one
    sql_on: ${users.user_id} = ${user_order_facts.user_id} ;;
  }
}

# The product funnel the course built: one row per session.
explore: sessions_funnel {
  from: fact_sessions_funnel
  label: "Product Funnel"

  join: user_sessions {
    from: fact_user_sessions
    type: left_outer
    relationship: many_to_one
    sql_on: ${sessions_funnel.user_id} = ${user_sessions.user_id} ;;
  }

  join: page_views {
    from: fact_page_views
    type: left_outer
    relationship: one_to_many
    sql_on: ${sessions_funnel.session_id} = ${page_views.session_id} ;;
  }
}

# Products with their inventory history and page views.
explore: products {
  from: dim_products
  label: "Inventory"

  join: inventory_history {
    from: products_snapshot
    type: left_outer
    relationship: one_to_many
    sql_on: ${products.product_id} = ${inventory_history.product_id} ;;
  }

  join: product_page_views {
    type: left_outer
    relationship: one_to_one
    sql_on: ${inventory_history.product_id} = ${product_page_views.product_id} ;;
    required_joins: [inventory_history]
  }
}
