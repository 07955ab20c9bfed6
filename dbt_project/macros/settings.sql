{#- Helpers that turn setting vars into SQL. -#}

{#- A SQL list literal of strings, e.g. ['A', 'B']; typed even when empty. -#}
{% macro string_list(values) -%}
    {%- if values | length == 0 -%}
        cast([] as varchar[])
    {%- else -%}
        [{%- for value in values -%}'{{ value | replace("'", "''") }}'{{ ", " if not loop.last }}{%- endfor -%}]
    {%- endif -%}
{%- endmacro %}

{#- B1: the object number is in `object_range` (var object_ranges = [[low, high], ...]; empty = all). -#}
{% macro in_object_range(number_column) -%}
    {%- set ranges = var('object_ranges', []) -%}
    {%- if ranges | length == 0 -%}
        true
    {%- else -%}
        coalesce(
        {%- for pair in ranges %}
            try_cast({{ number_column }} as bigint) between {{ pair[0] | int }} and {{ pair[1] | int }}{{ " or" if not loop.last }}
        {%- endfor %}
        , false)
    {%- endif -%}
{%- endmacro %}

{#- B5/B6: first day of the previous business year, from today and business_year_start_month. -#}
{% macro previous_business_year_start() -%}
    {%- set month = var('business_year_start_month', 1) | int -%}
    (
        make_date(
            cast(year({{ today() }}) as bigint)
            - case when month({{ today() }}) >= {{ month }} then 1 else 2 end,
            {{ month }},
            1
        )
    )
{%- endmacro %}
