{#- Fails on every row whose value is not positive (with allow_zero: true, on negative values only). -#}
{% test positive_values(model, column_name, allow_zero=false) %}
select {{ column_name }}
from {{ model }}
where {{ column_name }} {{ '<' if allow_zero else '<=' }} 0
{% endtest %}
