-- B5 (+ B6, B7): an iX-Haus document is synced when DocuWare is not enabled, it is not a
-- serial letter (those go by their delivery route, E3), its type is released, its
-- recipient (the most specific of person, unit, object) is known and synced, its date is
-- on or after the start of the previous business year (unless its type is exempt) and
-- its file can be sent. The first failing check is the reason.
with

documents as (

    select * from {{ ref('stg_ixhaus__documents') }}

),

letters as (

    select * from {{ ref('stg_ixhaus__serial_letters') }}

),

persons as (

    select * from {{ ref('int_persons_synced') }}

),

units as (

    select * from {{ ref('int_units_synced') }}

),

objects as (

    select * from {{ ref('int_objects_synced') }}

),

letter_documents as (

    select distinct document_id
    from letters
    where document_id is not null

),

addressed as (

    select
        documents.*,
        case
            when documents.person_id is not null then 'person'
            when documents.unit_id is not null then 'unit'
            when documents.object_id is not null then 'object'
        end as recipient_kind,
        letter_documents.document_id is not null as is_serial_letter
    from documents
    left join letter_documents on documents.document_id = letter_documents.document_id

),

joined as (

    select
        addressed.*,
        case addressed.recipient_kind
            when 'person' then persons.person_id is not null
            when 'unit' then units.unit_id is not null
            when 'object' then objects.object_id is not null
            else false
        end as is_recipient_known,
        coalesce(
            case addressed.recipient_kind
                when 'person' then persons.is_synced
                when 'unit' then units.is_synced
                when 'object' then objects.is_synced
            end,
            false
        ) as is_recipient_synced,
        persons.casavi_id as person_casavi_id,
        case
            when addressed.recipient_kind = 'unit' then units.casavi_id
        end as unit_casavi_id,
        case
            when addressed.recipient_kind = 'unit' then units.property_casavi_id
            when addressed.recipient_kind = 'object' then objects.casavi_id
        end as property_casavi_id
    from addressed
    left join persons
        on addressed.recipient_kind = 'person' and addressed.person_id = persons.person_id
    left join units
        on addressed.recipient_kind = 'unit' and addressed.unit_id = units.unit_id
    left join objects
        on addressed.recipient_kind = 'object' and addressed.object_id = objects.object_id

),

checked as (

    select
        *,
        coalesce(
            list_contains({{ string_list(var('document_types')) }}, document_type), false
        ) as is_type_released,
        {{ is_document_too_old('document_date', 'document_type') }} as is_too_old,
        {{ file_limit_reason('size_bytes') }} as file_reason_code
    from joined

),

reasoned as (

    select
        *,
        case
            {% if var('docuware_enabled') -%}
                when true then 'DOCUMENT_NOT_FROM_DOCUWARE'
            {% endif -%}
            when is_serial_letter then 'DOCUMENT_IS_SERIAL_LETTER'
            when not is_type_released then 'DOCUMENT_TYPE_NOT_RELEASED'
            when not is_recipient_known then 'DOCUMENT_RECIPIENT_UNKNOWN'
            when not is_recipient_synced then 'DOCUMENT_RECIPIENT_NOT_SYNCED'
            when is_too_old then 'DOCUMENT_TOO_OLD'
            else file_reason_code
        end as reason_code
    from checked

),

final as (

    select
        document_id,
        'D-' || document_id as casavi_id,
        document_type,
        coalesce(nullif(trim(title), ''), file_name) as title,
        file_name,
        mime_type,
        size_bytes,
        document_date,
        recipient_kind,
        person_id,
        unit_id,
        object_id,
        person_casavi_id,
        unit_casavi_id,
        property_casavi_id,
        is_serial_letter,
        is_type_released,
        is_recipient_known,
        is_recipient_synced,
        is_too_old,
        reason_code is null as is_synced,
        reason_code
    from reasoned

)

select * from final
