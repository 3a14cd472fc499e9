view: fact_sessions_funnel {
  sql_table_name: PRODUCT.FACT_SESSIONS_FUNNEL ;;

  dimension: session_id {
    primary_key: yes
    type: string
    sql: ${TABLE}.session_id ;;
  }

  dimension: user_id {
    type: string
    sql: ${TABLE}.user_id ;;
  }

  dimension_group: session_started {
    type: time
    timeframes: [raw, time, date]
    sql: ${TABLE}.session_started_at ;;
  }

  dimension: furthest_step {
    type: string
    sql: ${TABLE}.furthest_step ;;
  }

  measure: sessions {
    label: "Sessions with a page view"
    type: sum
    sql: CASE WHEN ${TABLE}.has_page_view THEN 1 ELSE 0 END ;;
  }

  measure: sessions_with_add_to_cart {
    type: sum
    sql: CASE WHEN ${TABLE}.has_add_to_cart THEN 1 ELSE 0 END ;;
  }

  measure: sessions_with_checkout {
    type: sum
    sql: CASE WHEN ${TABLE}.has_checkout THEN 1 ELSE 0 END ;;
  }

  measure: sessions_with_package_shipped {
    type: sum
    sql: CASE WHEN ${TABLE}.has_package_shipped THEN 1 ELSE 0 END ;;
  }

  measure: add_to_cart_rate {
    type: number
    value_format_name: percent_1
    sql: 1.0 * ${sessions_with_add_to_cart} / NULLIF(${sessions}, 0) ;;
  }

  measure: checkout_rate {
    type: number
    value_format_name: percent_1
    sql: 1.0 * ${sessions_with_checkout} / NULLIF(${sessions}, 0) ;;
  }

  measure: package_shipped_rate {
    type: number
    value_format_name: percent_1
    sql: 1.0 * ${sessions_with_package_shipped} / NULLIF(${sessions}, 0) ;;
  }
}
