# Columns every view of a user shares. Views extend this one.
view: users_base {
  extension: required
  sql_table_name: core.dim_users ;;

  dimension: user_id {
    primary_key: yes
    type: string
    sql: ${TABLE}.user_id ;;
  }

  dimension: first_name {
    type: string
    sql: ${TABLE}.first_name ;;
  }

  dimension: last_name {
    type: string
    sql: ${TABLE}.last_name ;;
  }

  dimension: full_name {
    type: string
    sql: ${first_name} || ' ' || ${last_name} ;;
  }

  dimension: email {
    type: string
    sql: ${TABLE}.email ;;
  }
}
