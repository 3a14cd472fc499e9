{#- One count column per event type, e.g. `page_view_events`: sum(case when ... then 1 else 0 end). -#}
{% macro pivot_event_types(column='event_type', event_types=none, suffix='_events') -%}
    {%- set event_types = event_types if event_types is not none else var('event_types') -%}
    {%- for event_type in event_types %}
    sum(case when {{ column }} = '{{ event_type }}' then 1 else 0 end) as {{ event_type }}{{ suffix }}
    {%- if not loop.last %},{% endif %}
    {%- endfor %}
{%- endmacro %}
