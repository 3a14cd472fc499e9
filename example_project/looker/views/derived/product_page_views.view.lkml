# Page views per product, with the product's current name from dim_products.
view: product_page_views {
  derived_table: {
    sql:
      WITH views_per_product AS (
        SELECT
          product_id,
          COUNT(*) AS page_views,
          COUNT(DISTINCT session_id) AS sessions
        FROM product.fact_page_views
        WHERE {% condition page_viewed_date %} created_at {% endcondition %}
        GROUP BY 1
      )
      SELECT
        products.product_id,
        products.product_name AS name,
        COALESCE(v.page_views, 0) AS page_views,
        COALESCE(v.sessions, 0) AS sessions
      FROM ${dim_products.SQL_TABLE_NAME} AS products
      LEFT JOIN views_per_product AS v ON v.product_id = products.product_id
      ;;
  }

  filter: page_viewed_date {
    type: date
  }

  dimension: product_id {
    primary_key: yes
    type: string
    sql: ${TABLE}.product_id ;;
  }

  dimension: page_views {
    type: number
    sql: ${TABLE}.page_views ;;
  }

  measure: total_page_views {
    type: sum
    sql: ${page_views} ;;
  }

  measure: total_sessions {
    type: sum
    sql: ${TABLE}.sessions ;;
  }
}
