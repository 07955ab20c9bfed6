{#-
    The generic plan machinery (B15, D4): the payload of a casavi resource is the JSON of
    the payload columns of its `desired_<collection>` model, in column order, lists sorted.
    The current state is projected onto exactly the same columns and types, so desired
    and current payloads compare by hash.
-#}

{#- Columns of a desired_ model that are not payload: the id and the publisher's file columns. -#}
{% macro non_payload_columns() -%}
    {{ return(['id', 'file_source', 'file_key', 'file_name', 'content_type']) }}
{%- endmacro %}

{#- [(name, data_type)] of the payload columns of a built desired_ model (empty while parsing). -#}
{% macro payload_columns(relation) -%}
    {%- set columns = [] -%}
    {%- if execute -%}
        {%- for column in adapter.get_columns_in_relation(relation) -%}
            {%- if column.name not in non_payload_columns() -%}
                {%- do columns.append((column.name, column.data_type)) -%}
            {%- endif -%}
        {%- endfor -%}
    {%- endif -%}
    {{ return(columns) }}
{%- endmacro %}

{#- Canonical JSON text of the payload columns (lists sorted, keys in column order). -#}
{% macro payload_json(columns) -%}
    {%- if columns | length == 0 -%}
        cast('{}' as varchar)
    {%- else -%}
        cast(to_json(struct_pack(
        {%- for name, data_type in columns %}
            {{ adapter.quote(name) }} := {% if data_type.endswith('[]') %}list_sort({{ adapter.quote(name) }}){% else %}{{ adapter.quote(name) }}{% endif %}{{ "," if not loop.last }}
        {%- endfor %}
        )) as varchar)
    {%- endif -%}
{%- endmacro %}

{#- md5 of a canonical payload. -#}
{% macro payload_hash(payload_expression) -%}
    md5({{ payload_expression }})
{%- endmacro %}

{#- camelCase API name → dlt's snake_case column (`postalCode` → `postal_code`). -#}
{% macro api_column(name) -%}
    {{- return(modules.re.sub('([a-z0-9])([A-Z])', '\\1_\\2', name) | lower) -}}
{%- endmacro %}

{#-
    A DuckDB nested type as a json_transform structure, e.g.
    `STRUCT("type" VARCHAR, startDate DATE)[]` → `[{"type": "VARCHAR", "startDate": "DATE"}]`.
    json_transform ignores keys casavi adds that we do not send.
-#}
{% macro json_structure_of(data_type) -%}
    {%- set re = modules.re -%}
    {%- set text = data_type | replace('STRUCT(', '{') | replace(')', '}') -%}
    {%- set text = re.sub('(\\{|, )"?([A-Za-z_][A-Za-z0-9_]*)"? ', '\\1"\\2": ', text) -%}
    {%- set text = re.sub('(^|: )([A-Z][A-Z0-9_ ]*?)(?=\\[\\]|,|\\}|$)', '\\1"\\2"', text) -%}
    {%- set ns = namespace(text=text, tokens=[]) -%}
    {%- for _ in range(50) -%}
        {%- set match = re.search('\\{[^{}]*\\}', ns.text) -%}
        {%- if match -%}
            {%- set content = re.sub('("[^"]*"|@\\d+@)\\[\\]', '[\\1]', match.group(0)) -%}
            {%- set key = '@' ~ (ns.tokens | length) ~ '@' -%}
            {%- do ns.tokens.append(content) -%}
            {%- set ns.text = ns.text[:match.start()] ~ key ~ ns.text[match.end():] -%}
        {%- endif -%}
    {%- endfor -%}
    {%- set ns.text = re.sub('("[^"]*"|@\\d+@)\\[\\]', '[\\1]', ns.text) -%}
    {%- for index in range(ns.tokens | length - 1, -1, -1) -%}
        {%- set ns.text = ns.text | replace('@' ~ index ~ '@', ns.tokens[index]) -%}
    {%- endfor -%}
    {{- return(ns.text) -}}
{%- endmacro %}

{#- Project a casavi staging row onto the payload columns of the desired model (same types). -#}
{% macro current_payload_columns(columns) -%}
    {%- for name, data_type in columns %}
        {% if 'STRUCT' in data_type or data_type.endswith('[]') -%}
            cast(json_transform(cast({{ api_column(name) }} as json), '{{ json_structure_of(data_type) }}') as {{ data_type }})
        {%- else -%}
            cast({{ api_column(name) }} as {{ data_type }})
        {%- endif %} as {{ adapter.quote(name) }}{{ "," if not loop.last }}
    {%- endfor %}
{%- endmacro %}
