{#-
    Read a raw (dlt) table with fixed column types.

    `columns` is a list of [raw_column, type]. Every listed column is cast to its type;
    a column the raw table lacks (dlt creates no column whose values were all null) reads
    as a typed null, and a raw table that does not exist yet (DocuWare disabled, nothing
    published yet) reads as an empty typed relation, so `dbt build` works on a fresh
    warehouse. `source()` is always called so the lineage stays complete.
-#}
{% macro typed_source(source_name, table_name, columns, where=none) -%}
    {%- set relation = source(source_name, table_name) -%}
    {%- set existing_columns = [] -%}
    {%- set ns = namespace(exists=false) -%}
    {%- if execute -%}
        {%- set found = adapter.get_relation(
            database=relation.database, schema=relation.schema, identifier=relation.identifier
        ) -%}
        {%- if found is not none -%}
            {%- set ns.exists = true -%}
            {%- for column in adapter.get_columns_in_relation(found) -%}
                {%- do existing_columns.append(column.name | lower) -%}
            {%- endfor -%}
        {%- endif -%}
    {%- endif -%}
    select
    {%- for column in columns %}
        {% if ns.exists and (column[0] | lower) in existing_columns -%}
            cast({{ adapter.quote(column[0]) }} as {{ column[1] }})
        {%- else -%}
            cast(null as {{ column[1] }})
        {%- endif %} as {{ adapter.quote(column[0]) }}{{ "," if not loop.last }}
    {%- endfor %}
    {% if ns.exists -%}
    from {{ relation }}
    {%- if where %}
    where {{ where }}
    {%- endif %}
    {%- else -%}
    where false
    {%- endif %}
{%- endmacro %}
