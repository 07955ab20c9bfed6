{{ config(materialized='view') }}
-- D3: every entity the rules look at, synced or not, with its reason code and the German
-- and English text of the reason. `why_not_synced` is the not-synced part of it;
-- `portal-sync why <kind> <id>` reads this model. One line per entity below: adding an
-- entity kind is one more line.
-- The SQL is generated per entity; layout rules do not apply to the Jinja loop.
-- noqa: disable=LT02,LT05
{%- set entities = [
    {'kind': 'object', 'model': 'int_objects_synced', 'id': 'object_number', 'label': 'name'},
    {'kind': 'unit', 'model': 'int_units_synced', 'id': 'unit_id', 'label': "coalesce(unit_number, description)"},
    {'kind': 'person', 'model': 'int_persons_synced', 'id': 'person_id', 'label': "concat_ws(' ', first_name, last_name, company_name)"},
    {'kind': 'document', 'model': 'int_ixhaus_documents_synced', 'id': 'document_id', 'label': 'title'},
    {'kind': 'docuware_document', 'model': 'int_docuware_documents_synced', 'id': 'docuware_document_id', 'label': 'title'},
    {'kind': 'serial_letter', 'model': 'int_serial_letter_documents_synced', 'id': 'letter_id', 'label': 'title'},
    {'kind': 'ticket_type', 'model': 'int_ticket_types_published', 'id': 'ticket_type_id', 'label': 'name'},
    {'kind': 'ticket', 'model': 'int_tickets_eligible', 'id': 'ticket_id', 'label': 'title'},
    {'kind': 'note', 'model': 'int_ticket_messages_eligible', 'id': 'source_id', 'label': 'text', 'where': "message_kind = 'note'"},
    {'kind': 'order', 'model': 'int_ticket_messages_eligible', 'id': 'source_id', 'label': 'text', 'where': "message_kind = 'commission'"},
    {'kind': 'media', 'model': 'int_ticket_media_eligible', 'id': 'media_id', 'label': 'file_name'},
    {'kind': 'portal_ticket', 'model': 'int_portal_tickets_returned', 'id': 'portal_ticket_id', 'label': 'title'},
] %}

-- A view: `why` looks up single entities; materialising millions of rows per run costs more.
with

reason_codes as (

    select * from {{ ref('reason_codes') }}

),

entities as (
{% for entity in entities %}
    select
        '{{ entity.kind }}' as entity_kind,
        cast({{ entity.id }} as varchar) as entity_id,
        cast({{ entity.label }} as varchar) as entity_label,
        '{{ entity.model }}' as rule_model,
        is_synced,
        reason_code
    from {{ ref(entity.model) }}
    {%- if entity.get('where') %}
    where {{ entity.where }}
    {%- endif %}
    {{ "union all" if not loop.last }}
{% endfor %}
),

final as (

    select
        entities.entity_kind,
        entities.entity_id,
        entities.entity_label,
        entities.is_synced,
        entities.reason_code,
        reason_codes.text_de as reason_text_de,
        reason_codes.text_en as reason_text_en,
        entities.rule_model
    from entities
    left join reason_codes on entities.reason_code = reason_codes.reason_code

)

select * from final
