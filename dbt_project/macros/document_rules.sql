{#- B5/B6 time filter: the date is before the start of the previous business year and the
    type is not in `document_types_without_time_filter` (compared case-insensitively, so
    the iX-Haus code MIETVERTRAG also exempts the DocuWare type Mietvertrag). A missing
    date counts as too old. -#}
{% macro is_document_too_old(date_column, type_column) -%}
    (
        coalesce({{ date_column }} < {{ previous_business_year_start() }}, true)
        and not coalesce(
            list_contains(
                {{ string_list(var('document_types_without_time_filter') | map('upper') | list) }},
                upper({{ type_column }})
            ),
            false
        )
    )
{%- endmacro %}

{#- B7: the reason a file cannot be sent (empty / over `max_file_size_mb` MiB), else null.
    `prefix` is DOCUMENT or MEDIA. -#}
{% macro file_limit_reason(size_column, prefix='DOCUMENT') -%}
    case
        when coalesce({{ size_column }}, 0) <= 0 then '{{ prefix }}_FILE_EMPTY'
        when {{ size_column }} > {{ (var('max_file_size_mb') | float * 1024 * 1024) | int }}
            then '{{ prefix }}_FILE_TOO_LARGE'
    end
{%- endmacro %}

{#- B6: the DocuWare filter (`docuware.filter`): a document matching any rule is excluded.
    A rule's conditions (equals / not_equals / in) must all hold. Fields are DocuWare
    index field names. -#}
{% macro docuware_filter_match() -%}
    {%- set fields = {
        'DWDOCID': 'docuware_document_id',
        'DWSTOREDATETIME': 'stored_at',
        'DWMODDATETIME': 'modified_at',
        'EMPFAENGERID': 'recipient_id',
        'EMPFAENGERTYP': 'recipient_type',
        'DOKUMENTTYP': 'document_type',
        'DOKUMENTNAME': 'document_name',
        'DOKUMENTDATUM': 'document_date',
        'OBJEKTNR': 'object_number',
        'STATUS': 'status',
        'TITLE': 'title',
    } -%}
    {%- set rules = var('docuware_filter', []) -%}
    {%- if rules | length == 0 -%}
        false
    {%- else -%}
        coalesce(
        {%- for rule in rules %}
            {%- set field = (rule['field'] or '') | upper -%}
            {%- if field not in fields -%}
                {{ exceptions.raise_compiler_error(
                    "docuware.filter: unknown field '" ~ rule['field'] ~ "' (known: " ~ (fields.keys() | sort | join(', ')) ~ ")"
                ) }}
            {%- endif -%}
            {%- set column = 'cast(' ~ fields[field] ~ ' as varchar)' -%}
            {%- set conditions = [] -%}
            {%- if rule.get('equals') is not none -%}
                {%- do conditions.append(column ~ " = '" ~ (rule['equals'] | replace("'", "''")) ~ "'") -%}
            {%- endif -%}
            {%- if rule.get('not_equals') is not none -%}
                {%- do conditions.append(column ~ " is distinct from '" ~ (rule['not_equals'] | replace("'", "''")) ~ "'") -%}
            {%- endif -%}
            {%- if rule.get('in') is not none -%}
                {%- do conditions.append("list_contains(" ~ string_list(rule['in']) ~ ", " ~ column ~ ")") -%}
            {%- endif -%}
            {%- if conditions | length == 0 -%}
                {{ exceptions.raise_compiler_error(
                    "docuware.filter: the rule on field '" ~ rule['field'] ~ "' has no condition (equals, not_equals or in)"
                ) }}
            {%- endif %}
            ({{ conditions | join(' and ') }}){{ " or" if not loop.last }}
        {%- endfor %}
        , false)
    {%- endif -%}
{%- endmacro %}
