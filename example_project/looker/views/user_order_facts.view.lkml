view: user_order_facts {
  sql_table_name: marketing.user_order_facts ;;

  dimension: user_id {
    primary_key: yes
    type: string
    sql: ${TABLE}.user_id ;;
  }

  dimension: order_count {
    type: number
    sql: ${TABLE}.order_count ;;
  }

  dimension: is_repeat_customer {
    type: yesno
    sql: ${order_count} > 1 ;;
  }

  measure: count {
    type: count
  }
}
