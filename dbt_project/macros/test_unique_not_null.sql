{#- Generic test: `column_name` is a key: never null, never repeated. One query (and one dbt
    node) instead of a `unique` + `not_null` pair; a failing row is the null or repeated value
    with its row count. -#}
{% test unique_not_null(model, column_name) %}
    select {{ column_name }} as key_value, count(*) as row_count
    from {{ model }}
    group by {{ column_name }}
    having {{ column_name }} is null or count(*) > 1
{% endtest %}
