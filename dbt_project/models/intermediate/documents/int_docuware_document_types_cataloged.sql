-- B6: the automatic external-DMS catalogue: every DocuWare document type ever seen (by
-- ingest or in the current documents) and whether `docuware.document_types` releases it.
with

catalogue as (

    select * from {{ ref('stg_docuware__document_types') }}

),

documents as (

    select * from {{ ref('stg_docuware__documents') }}

),

seen as (

    select
        document_type,
        first_seen_at,
        last_seen_at
    from catalogue

    union all

    select
        document_type,
        min(stored_at) as first_seen_at,
        max(modified_at) as last_seen_at
    from documents
    where document_type is not null
    group by document_type

),

final as (

    select
        document_type,
        min(first_seen_at) as first_seen_at,
        max(last_seen_at) as last_seen_at,
        coalesce(
            list_contains({{ string_list(var('docuware_document_types')) }}, document_type), false
        ) as is_released
    from seen
    where document_type is not null
    group by document_type

)

select * from final
