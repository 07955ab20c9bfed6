-- B1: casavi properties portal-sync wants: synced objects, with their current caretakers
-- (synced persons) as responsibilities (roleName `Hausmeister`).
with

objects as (

    select * from {{ ref('int_objects_synced') }}

),

roles as (

    select * from {{ ref('int_person_roles') }}

),

persons as (

    select * from {{ ref('int_persons_synced') }}

),

caretakers as (

    select
        roles.object_id,
        list(
            distinct { 'contactId': persons.casavi_id, 'roleName': 'Hausmeister' }
            order by { 'contactId': persons.casavi_id, 'roleName': 'Hausmeister' }
        ) as responsibilities
    from roles
    inner join persons on roles.person_id = persons.person_id
    where
        roles.role = 'CARETAKER'
        and roles.is_current
        and roles.is_account_open
        and persons.is_synced
    group by roles.object_id

),

final as (

    select
        objects.casavi_id as id,
        objects.name,
        objects.object_number as number,
        objects.street,
        objects.postal_code as "postalCode",
        objects.city,
        objects.country,
        coalesce(
            caretakers.responsibilities,
            cast([] as struct("contactId" varchar, "roleName" varchar)[])
        ) as responsibilities
    from objects
    left join caretakers on objects.object_id = caretakers.object_id
    where objects.is_synced

)

select * from final
