view: fact_orders {
  sql_table_name: "core"."fact_orders" ;;

  dimension: order_id {
    primary_key: yes
    type: string
    sql: ${TABLE}.order_id ;;
  }

  dimension: user_id {
    type: string
    sql: ${TABLE}.user_id ;;
  }

  dimension: promo_id {
    type: string
    sql: ${TABLE}.promo_id ;;
  }

  dimension: status {
    type: string
    sql: ${TABLE}.status ;;
  }

  dimension: shipping_service {
    type: string
    sql: ${TABLE}.shipping_service ;;
  }

  dimension_group: created {
    type: time
    timeframes: [raw, time, date, week, month]
    sql: ${TABLE}.created_at ;;
  }

  dimension: order_total {
    type: number
    value_format_name: usd
    sql: ${TABLE}.order_total ;;
  }

  measure: count {
    type: count
    drill_fields: [order_id, status, created_date]
  }

  measure: total_revenue {
    type: sum
    value_format_name: usd
    sql: ${order_total} ;;
  }

  measure: average_order_value {
    type: average
    value_format_name: usd
    sql: ${order_total} ;;
  }
}
