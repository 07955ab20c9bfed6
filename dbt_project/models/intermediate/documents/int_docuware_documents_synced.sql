-- B6 (+ B7): a DocuWare document is synced when DocuWare is enabled, no filter rule
-- excludes it, its DMS type is released (`docuware.document_types`), its recipient type
-- is enabled (`O` only with `owner_documents`), its recipient is known and synced, its
-- date (DOKUMENTDATUM, else DWSTOREDATETIME) passes the B5 time filter and its file can
-- be sent. Recipients: `P` person id, `Partner` partner id, `Objekt` all contacts of the
-- object, `O` the object's owners. The first failing check is the reason.
with

documents as (

    select * from {{ ref('stg_docuware__documents') }}

),

persons as (

    select * from {{ ref('int_persons_synced') }}

),

objects as (

    select * from {{ ref('int_objects_synced') }}

),

prepared as (

    select
        *,
        trim(recipient_type) as recipient_type_clean,
        try_cast(trim(recipient_id) as bigint) as recipient_number,
        coalesce(document_date, cast(stored_at as date)) as effective_document_date
    from documents

),

joined as (

    select
        prepared.*,
        case
            when prepared.recipient_type_clean in ('P', 'Partner') then 'person'
            when prepared.recipient_type_clean = 'Objekt' then 'object'
            when prepared.recipient_type_clean = 'O' then 'object_owners'
        end as recipient_kind,
        coalesce(person_by_id.person_id, person_by_partner.person_id) as person_id,
        coalesce(person_by_id.casavi_id, person_by_partner.casavi_id) as person_casavi_id,
        coalesce(person_by_id.is_synced, person_by_partner.is_synced) as is_person_synced,
        recipient_object.object_id,
        recipient_object.casavi_id as object_casavi_id,
        recipient_object.is_synced as is_object_synced,
        document_object.casavi_id as document_object_casavi_id,
        document_object.is_synced as is_document_object_synced
    from prepared
    left join persons as person_by_id
        on
            prepared.recipient_type_clean = 'P'
            and prepared.recipient_number = person_by_id.person_id
    left join persons as person_by_partner
        on
            prepared.recipient_type_clean = 'Partner'
            and prepared.recipient_number = person_by_partner.partner_id
    left join objects as recipient_object
        on
            prepared.recipient_type_clean in ('Objekt', 'O')
            and trim(prepared.recipient_id) = recipient_object.object_number
    left join objects as document_object
        on trim(prepared.object_number) = document_object.object_number

),

checked as (

    select
        *,
        {{ docuware_filter_match() }} as is_excluded_by_filter,
        coalesce(
            list_contains({{ string_list(var('docuware_document_types')) }}, document_type), false
        ) as is_type_released,
        case recipient_kind
            when 'person' then person_id is not null
            when 'object' then object_id is not null
            when 'object_owners' then object_id is not null
            else false
        end as is_recipient_known,
        coalesce(
            case recipient_kind
                when 'person' then is_person_synced
                else is_object_synced
            end,
            false
        ) as is_recipient_synced,
        {{ is_document_too_old('effective_document_date', 'document_type') }} as is_too_old,
        {{ file_limit_reason('file_size_bytes') }} as file_reason_code
    from joined

),

reasoned as (

    select
        *,
        case
            {% if not var('docuware_enabled') -%}
            when true then 'DOCUMENT_DOCUWARE_DISABLED'
            {% endif -%}
            when is_excluded_by_filter then 'DOCUMENT_EXCLUDED_BY_DOCUWARE_FILTER'
            when not is_type_released then 'DOCUMENT_TYPE_NOT_RELEASED'
            {% if not var('owner_documents') -%}
                when recipient_type_clean = 'O' then 'DOCUMENT_RECIPIENT_TYPE_NOT_ENABLED'
            {% endif -%}
            when not is_recipient_known then 'DOCUMENT_RECIPIENT_UNKNOWN'
            when not is_recipient_synced then 'DOCUMENT_RECIPIENT_NOT_SYNCED'
            when is_too_old then 'DOCUMENT_TOO_OLD'
            else file_reason_code
        end as reason_code
    from checked

),

final as (

    select
        docuware_document_id,
        'DW-' || docuware_document_id as casavi_id,
        document_type,
        coalesce(
            nullif(trim(document_name), ''), nullif(trim(original_file_name), ''),
            'DW-' || docuware_document_id
        ) as title,
        -- DocuWare converts every document to PDF on download
        regexp_replace(
            coalesce(nullif(trim(original_file_name), ''), 'DW-' || docuware_document_id),
            '\.[A-Za-z0-9]+$', ''
        ) || '.pdf' as file_name,
        'application/pdf' as content_type,
        file_size_bytes,
        effective_document_date as document_date,
        recipient_type,
        recipient_id,
        recipient_kind,
        person_id,
        person_casavi_id,
        object_id,
        case
            when recipient_kind in ('object', 'object_owners') then object_casavi_id
            when is_document_object_synced then document_object_casavi_id
        end as property_casavi_id,
        is_excluded_by_filter,
        is_type_released,
        is_recipient_known,
        is_recipient_synced,
        is_too_old,
        reason_code is null as is_synced,
        reason_code
    from reasoned

)

select * from final
