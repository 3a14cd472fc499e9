view: dim_products {
  sql_table_name: @{schema_core}.dim_products ;;

  dimension: product_id {
    primary_key: yes
    type: string
    sql: ${TABLE}.product_id ;;
  }

  dimension: name {
    type: string
    sql: ${TABLE}.product_name ;;
  }

  dimension: price {
    type: number
    value_format_name: usd
    sql: ${TABLE}.price ;;
  }

  dimension: inventory {
    type: number
    sql: ${TABLE}.inventory ;;
  }

  measure: total_inventory {
    type: sum
    sql: ${inventory} ;;
  }

  dimension: is_out_of_stock {
    type: yesno
    sql: ${TABLE}.is_out_of_stock ;;
  }

  measure: out_of_stock_products {
    type: count
    filters: [is_out_of_stock: "yes"]
  }
}
