view: fact_user_sessions {
  sql_table_name: product.fact_user_sessions ;;

  dimension: user_id {
    primary_key: yes
    type: string
    sql: ${TABLE}.user_id ;;
  }

  dimension: session_count {
    type: number
    sql: ${TABLE}.sessions ;;
  }

  measure: users {
    type: count
  }

  measure: average_sessions_per_user {
    type: average
    value_format_name: decimal_1
    sql: ${session_count} ;;
  }
}
