{#- The date all rules use: var('today') (PORTAL_SYNC_TODAY) or today in Europe/Berlin. -#}
{% macro today() -%}
    {%- if var('today', '') -%}
        date '{{ var("today") }}'
    {%- else -%}
        cast(timezone('Europe/Berlin', current_timestamp) as date)
    {%- endif -%}
{%- endmacro %}
