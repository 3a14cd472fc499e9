# Additions to fact_orders kept apart from the generated view file.
view: +fact_orders {
  dimension: has_promo {
    type: yesno
    sql: ${promo_id} IS NOT NULL ;;
  }

  measure: orders_with_promo {
    type: count
    filters: [has_promo: "yes"]
  }
}

explore: +orders {
  description: "Orders, the customers who placed them and the promos they used."
}
