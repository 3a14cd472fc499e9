view: user_order_facts {
  sql_table_name: marketing.user_order_facts ;;

  dimension: user_id {
    primary_key: yes
    type: string
    sql: ${TABLE}.user_id ;;
  }

  dimension: order_count {
    type: number
    sql: ${TABLE}.orders ;;
  }

  dimension: is_repeat_customer {
    type: yesno
    sql: ${TABLE}.is_repeat_buyer ;;
  }

  dimension: lifetime_value {
    type: number
    value_format_name: usd
    sql: ${TABLE}.lifetime_value ;;
  }

  measure: count {
    type: count
  }
}
