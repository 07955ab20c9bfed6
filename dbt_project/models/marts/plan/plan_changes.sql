-- D4, B15: what the publisher applies. Every desired_<collection> model is compared with
-- the current casavi state (staging) on the same payload projection: create = wanted and
-- not in casavi, update = payload hash differs, delete = owned by portal-sync (its id
-- prefixes, plus portal tickets only while desired_tickets carries them) and no longer
-- wanted. Ids portal-sync does not own are never touched. Adding a collection = one line.
-- The SQL is generated per collection; layout rules do not apply to the Jinja loops.
-- noqa: disable=LT02,LT05,LT09,ST03
{%- set collections = [
    {'collection': 'properties', 'model': 'desired_properties', 'apply_order': 1, 'prefixes': ['O-']},
    {'collection': 'units', 'model': 'desired_units', 'apply_order': 2, 'prefixes': ['U-']},
    {'collection': 'contacts', 'model': 'desired_contacts', 'apply_order': 3, 'prefixes': ['P-']},
    {'collection': 'ticket-types', 'model': 'desired_ticket_types', 'apply_order': 4, 'prefixes': ['TT-']},
    {'collection': 'trades', 'model': 'desired_trades', 'apply_order': 4, 'prefixes': ['TR-']},
    {'collection': 'tickets', 'model': 'desired_tickets', 'apply_order': 5, 'prefixes': ['T-']},
    {'collection': 'ticket-messages', 'model': 'desired_ticket_messages', 'apply_order': 6, 'prefixes': ['N-', 'ORD-']},
    {'collection': 'ticket-attachments', 'model': 'desired_ticket_attachments', 'apply_order': 6, 'prefixes': ['M-']},
    {'collection': 'posts', 'model': 'desired_posts', 'apply_order': 6, 'prefixes': ['B-']},
    {'collection': 'documents', 'model': 'desired_documents', 'apply_order': 6, 'prefixes': ['D-', 'DW-', 'L-']},
] %}

with
{% for item in collections %}
{%- set desired_relation = ref(item.model) %}
{%- set current_relation = ref('stg_casavi__' ~ item.collection | replace('-', '_')) %}
{%- set columns = payload_columns(desired_relation) %}
{%- set file_columns = [] %}
{%- if execute %}
    {%- for column in adapter.get_columns_in_relation(desired_relation) %}
        {%- do file_columns.append(column.name) %}
    {%- endfor %}
{%- endif %}
{%- set cte = item.collection | replace('-', '_') %}

desired_{{ cte }} as (

    select
        '{{ item.collection }}' as collection,
        id as resource_id,
        {{ payload_json(columns) }} as payload,
        {%- for name in ['file_source', 'file_key', 'file_name', 'content_type'] %}
        {% if name in file_columns %}cast({{ name }} as varchar){% else %}cast(null as varchar){% endif %} as {{ name }}{{ "," if not loop.last }}
        {%- endfor %}
    from {{ desired_relation }}

),

current_{{ cte }} as (

    select
        '{{ item.collection }}' as collection,
        id as resource_id,
        {{ payload_json(columns) }} as payload
    from (
        select
            id{{ "," if columns | length > 0 }}
            {{- current_payload_columns(columns) }}
        from {{ current_relation }}
        where
            {% for prefix in item.prefixes -%}
            starts_with(id, '{{ prefix }}')
            or {% endfor -%}
            id in (select desired.id from {{ desired_relation }} as desired)
    ) as projected

),
{% endfor %}

desired as (
{% for item in collections %}
    select * from desired_{{ item.collection | replace('-', '_') }}
    {{ "union all" if not loop.last }}
{%- endfor %}
),

current_state as (
{% for item in collections %}
    select * from current_{{ item.collection | replace('-', '_') }}
    {{ "union all" if not loop.last }}
{%- endfor %}
),

compared as (

    select
        coalesce(desired.collection, current_state.collection) as collection,
        coalesce(desired.resource_id, current_state.resource_id) as resource_id,
        case
            when current_state.resource_id is null then 'create'
            when desired.resource_id is null then 'delete'
            when {{ payload_hash('desired.payload') }} != {{ payload_hash('coalesce(current_state.payload, \'\')') }}
                then 'update'
        end as action,
        desired.payload,
        desired.file_source,
        desired.file_key,
        desired.file_name,
        desired.content_type
    from desired
    full outer join current_state
        on
            desired.collection = current_state.collection
            and desired.resource_id = current_state.resource_id

),

final as (

    select
        collection,
        resource_id,
        action,
        case when action != 'delete' then payload end as payload,
        case when action != 'delete' then {{ payload_hash('payload') }} end as payload_hash,
        case collection
        {%- for item in collections %}
            when '{{ item.collection }}' then {{ item.apply_order }}
        {%- endfor %}
        end as apply_order,
        case when action != 'delete' then file_source end as file_source,
        case when action != 'delete' then file_key end as file_key,
        case when action != 'delete' then file_name end as file_name,
        case when action != 'delete' then content_type end as content_type
    from compared
    where action is not null

)

select * from final
