-- F4 / B3 / B4: every contract of a desired contact is an iX-Haus tenancy or ownership of
-- that person in a synced object whose account window is open today, and every desired
-- contact is a synced person. Returns offending contracts.
with

contacts as (

    select * from {{ ref('desired_contacts') }}

),

persons as (

    select * from {{ ref('int_persons_synced') }}

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

unknown_contacts as (

    select
        contacts.id as contact_id,
        'contact is not a synced person' as problem
    from contacts
    left join persons on contacts.id = persons.casavi_id and persons.is_synced
    where persons.person_id is null

),

unbacked_contracts as (

    select
        contracts.contact_id,
        'contract ' || contracts.contract.type || ' ' || contracts.contract."propertyId"
        || ' has no open role' as problem
    from contracts
    left join roles
        on
            contracts.contact_id = 'P-' || roles.person_id
            and contracts.contract.type = roles.role
            and contracts.contract."propertyId" = roles.property_casavi_id
            and contracts.contract."unitId" is not distinct from roles.unit_casavi_id
            and contracts.contract."startDate" = roles.start_date
            and roles.is_account_open
    where roles.role_id is null

),

final as (

    select * from unknown_contacts
    union all
    select * from unbacked_contracts

)

select * from final
