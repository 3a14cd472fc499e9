# Inventory history captured by the dbt snapshot. Developers read their own snapshot schema.
view: products_snapshot {
  sql_table_name:
    -- if prod -- snapshots.products_snapshot
    -- if dev -- dev_snapshots.products_snapshot
    ;;

  dimension: product_id {
    type: string
    sql: ${TABLE}.product_id ;;
  }

  dimension: name {
    type: string
    sql: ${TABLE}.name ;;
  }

  dimension: inventory {
    type: number
    sql: ${TABLE}.inventory ;;
  }

  dimension: shop_week {
    type: number
    sql: ${TABLE}.shop_week ;;
  }

  dimension_group: valid_from {
    type: time
    timeframes: [raw, date, week]
    sql: ${TABLE}.dbt_valid_from ;;
  }

  dimension: is_current {
    type: yesno
    sql: ${TABLE}.dbt_valid_to IS NULL ;;
  }

  measure: inventory_level {
    type: sum
    sql: ${inventory} ;;
  }
}
