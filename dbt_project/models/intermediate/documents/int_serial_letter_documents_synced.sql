-- E3 (+ B7): a serial letter whose delivery route is PORTAL is published to its person
-- as a document (`L-<letter_id>`), also when DocuWare is enabled: the route was chosen
-- for this letter explicitly. Its file must exist and be within the file limits.
with

letters as (

    select * from {{ ref('int_serial_letters_routed') }}

),

documents as (

    select * from {{ ref('stg_ixhaus__documents') }}

),

templates as (

    select * from {{ ref('stg_ixhaus__templates') }}

),

portal_letters as (

    select
        letters.letter_id,
        letters.person_id,
        letters.template_id,
        letters.document_id,
        letters.created_at,
        'P-' || letters.person_id as person_casavi_id,
        coalesce(documents.document_type, templates.document_type) as document_type,
        coalesce(
            nullif(trim(documents.title), ''), documents.file_name, templates.name
        ) as title,
        documents.file_name,
        documents.mime_type,
        documents.size_bytes,
        coalesce(documents.document_date, cast(letters.created_at as date)) as document_date,
        documents.document_id is not null as has_document
    from letters
    left join documents on letters.document_id = documents.document_id
    left join templates on letters.template_id = templates.template_id
    where letters.delivery_route = 'PORTAL'

),

reasoned as (

    select
        *,
        'L-' || letter_id as casavi_id,
        case
            when not has_document then 'DOCUMENT_FILE_EMPTY'
            else {{ file_limit_reason('size_bytes') }}
        end as reason_code
    from portal_letters

),

final as (

    select
        letter_id,
        casavi_id,
        person_id,
        person_casavi_id,
        template_id,
        document_id,
        document_type,
        title,
        file_name,
        mime_type,
        size_bytes,
        document_date,
        created_at,
        reason_code is null as is_synced,
        reason_code
    from reasoned

)

select * from final
