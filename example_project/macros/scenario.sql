{#- The selected scenario: `--vars '{scenario: failure}'` or GREENERY_SCENARIO=failure. -#}
{% macro greenery_scenario() -%}
    {%- set scenario = var('scenario', 'normal') | string | trim | lower -%}
    {%- if scenario not in ('normal', 'failure') -%}
        {{ exceptions.raise_compiler_error("var 'scenario' must be 'normal' or 'failure', got '" ~ scenario ~ "'") }}
    {%- endif -%}
    {{ return(scenario) }}
{%- endmacro %}

{% macro shop_week() -%}
    {%- set week = var('week', 4) | int -%}
    {%- if week < 1 or week > 4 -%}
        {{ exceptions.raise_compiler_error("var 'week' must be 1..4, got '" ~ var('week') ~ "'") }}
    {%- endif -%}
    {{ return(week) }}
{%- endmacro %}

{#- `dbt run-operation describe_scenario [--vars ...]`: print what the loader would deliver. -#}
{% macro describe_scenario() %}
    {{ log("scenario=" ~ greenery_scenario() ~ " week=" ~ shop_week(), info=True) }}
{% endmacro %}
