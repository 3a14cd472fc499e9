# Promos straight from the raw table loaded by the shop (a dbt source, no model on top yet).
view: promos {
  sql_table_name: raw.promos ;;

  dimension: promo_id {
    primary_key: yes
    type: string
    sql: ${TABLE}.promo_id ;;
  }

  dimension: discount {
    type: number
    sql: ${TABLE}.discount ;;
  }

  dimension: status {
    type: string
    sql: ${TABLE}.status ;;
  }
}
