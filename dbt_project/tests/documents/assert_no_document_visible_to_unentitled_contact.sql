-- F4: no contact sees a desired document (by casavi's visibility rules on the desired
-- state: contactIds, else current contracts on unitId, else roles in propertyId whose
-- role is in audiences) unless the iX-Haus rules address it to them. Returns offenders.
with

documents as (

    select * from {{ ref('desired_documents') }}

),

contacts as (

    select * from {{ ref('desired_contacts') }}

),

properties as (

    select * from {{ ref('desired_properties') }}

),

ixhaus_documents as (

    select * from {{ ref('int_ixhaus_documents_synced') }}

),

docuware_documents as (

    select * from {{ ref('int_docuware_documents_synced') }}

),

letter_documents as (

    select * from {{ ref('int_serial_letter_documents_synced') }}

),

roles as (

    select * from {{ ref('int_person_roles') }}

),

contracts as (

    select
        id as contact_id,
        unnest(contracts) as contract
    from contacts

),

portal_roles as (

    select
        contact_id,
        contract.type as role,
        contract."propertyId" as property_id,
        contract."unitId" as unit_id
    from contracts
    where
        contract."startDate" <= {{ today() }}
        and (contract."endDate" is null or contract."endDate" >= {{ today() }})

    union all

    select
        responsibility."contactId" as contact_id,
        'CARETAKER' as role,
        property_id,
        cast(null as varchar) as unit_id
    from (
        select
            id as property_id,
            unnest(responsibilities) as responsibility
        from properties
    ) as named

),

viewers as (

    select
        documents.id as document_id,
        unnest(documents."contactIds") as contact_id
    from documents
    where len(documents."contactIds") > 0

    union all

    select
        documents.id as document_id,
        portal_roles.contact_id
    from documents
    inner join portal_roles
        on
            documents."unitId" = portal_roles.unit_id
            and portal_roles.role in ('RENTER', 'OWNER')
    where len(documents."contactIds") = 0 and documents."unitId" is not null

    union all

    select
        documents.id as document_id,
        portal_roles.contact_id
    from documents
    inner join portal_roles
        on
            documents."propertyId" = portal_roles.property_id
            and list_contains(documents.audiences, portal_roles.role)
    where len(documents."contactIds") = 0 and documents."unitId" is null

),

entitled as (

    select
        casavi_id as document_id,
        person_casavi_id as contact_id
    from ixhaus_documents
    where recipient_kind = 'person'

    union all

    select
        ixhaus_documents.casavi_id as document_id,
        'P-' || roles.person_id as contact_id
    from ixhaus_documents
    inner join roles
        on
            ixhaus_documents.unit_id = roles.unit_id
            and roles.role in ('RENTER', 'OWNER')
            and roles.is_current
    where ixhaus_documents.recipient_kind = 'unit'

    union all

    select
        ixhaus_documents.casavi_id as document_id,
        'P-' || roles.person_id as contact_id
    from ixhaus_documents
    inner join roles
        on ixhaus_documents.object_id = roles.object_id and roles.is_current
    where ixhaus_documents.recipient_kind = 'object'

    union all

    select
        casavi_id as document_id,
        person_casavi_id as contact_id
    from docuware_documents
    where recipient_kind = 'person'

    union all

    select
        docuware_documents.casavi_id as document_id,
        'P-' || roles.person_id as contact_id
    from docuware_documents
    inner join roles
        on
            docuware_documents.object_id = roles.object_id
            and roles.is_current
            and (docuware_documents.recipient_kind = 'object' or roles.role = 'OWNER')
    where docuware_documents.recipient_kind in ('object', 'object_owners')

    union all

    select
        casavi_id as document_id,
        person_casavi_id as contact_id
    from letter_documents

),

final as (

    select
        viewers.document_id,
        viewers.contact_id
    from viewers
    left join entitled
        on
            viewers.document_id = entitled.document_id
            and viewers.contact_id = entitled.contact_id
    where entitled.contact_id is null

)

select * from final
