-- F4 / B3: a property names only current caretakers of the object (a responsibility gives
-- property-wide visibility in casavi) who are desired contacts. Returns offenders.
with

properties as (

    select * from {{ ref('desired_properties') }}

),

contacts as (

    select * from {{ ref('desired_contacts') }}

),

roles as (

    select * from {{ ref('int_person_roles') }}

),

named as (

    select
        id as property_id,
        unnest(responsibilities) as responsibility
    from properties

),

final as (

    select
        named.property_id,
        named.responsibility."contactId" as contact_id
    from named
    left join roles
        on
            named.responsibility."contactId" = 'P-' || roles.person_id
            and named.property_id = roles.property_casavi_id
            and roles.role = 'CARETAKER'
            and roles.is_current
    left join contacts on named.responsibility."contactId" = contacts.id
    where roles.role_id is null or contacts.id is null

)

select * from final
