-- B5, B6, E3: casavi documents portal-sync wants (payload fields of casavi-api.md) plus
-- the file columns the publisher uploads from (file_source, file_key, file_name,
-- content_type). Visibility: documents for a person name them in contactIds; unit
-- documents go to the current contracts of the unit; object documents to all roles of
-- the property (`Objekt`) or only its owners (`O`).
with

ixhaus_documents as (

    select * from {{ ref('int_ixhaus_documents_synced') }}

),

docuware_documents as (

    select * from {{ ref('int_docuware_documents_synced') }}

),

letter_documents as (

    select * from {{ ref('int_serial_letter_documents_synced') }}

),

from_ixhaus as (

    select
        casavi_id as id,
        title,
        document_type as type,
        document_date as "documentDate",
        property_casavi_id as "propertyId",
        unit_casavi_id as "unitId",
        case
            when recipient_kind = 'person' then [person_casavi_id]
            else cast([] as varchar[])
        end as "contactIds",
        case
            when recipient_kind = 'object' then ['CARETAKER', 'OWNER', 'RENTER']
            else cast([] as varchar[])
        end as audiences,
        'ixhaus_document' as file_source,
        cast(document_id as varchar) as file_key,
        file_name,
        mime_type as content_type
    from ixhaus_documents
    where is_synced

),

from_docuware as (

    select
        casavi_id as id,
        title,
        document_type as type,
        document_date as "documentDate",
        property_casavi_id as "propertyId",
        cast(null as varchar) as "unitId",
        case
            when recipient_kind = 'person' then [person_casavi_id]
            else cast([] as varchar[])
        end as "contactIds",
        case
            when recipient_kind = 'object' then ['CARETAKER', 'OWNER', 'RENTER']
            when recipient_kind = 'object_owners' then ['OWNER']
            else cast([] as varchar[])
        end as audiences,
        'docuware' as file_source,
        cast(docuware_document_id as varchar) as file_key,
        file_name,
        content_type
    from docuware_documents
    where is_synced

),

from_letters as (

    select
        casavi_id as id,
        title,
        document_type as type,
        document_date as "documentDate",
        cast(null as varchar) as "propertyId",
        cast(null as varchar) as "unitId",
        [person_casavi_id] as "contactIds",
        cast([] as varchar[]) as audiences,
        'ixhaus_document' as file_source,
        cast(document_id as varchar) as file_key,
        file_name,
        mime_type as content_type
    from letter_documents
    where is_synced

),

final as (

    select * from from_ixhaus
    union all
    select * from from_docuware
    union all
    select * from from_letters

)

select * from final
