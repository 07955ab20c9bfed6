-- B3/B4: casavi contacts portal-sync wants: synced persons, with a contract for every
-- tenancy/ownership in a synced object whose account window is open today. Caretakers
-- appear as responsibilities of the property (desired_properties), not as contracts.
with

persons as (

    select * from {{ ref('int_persons_synced') }}

),

roles as (

    select * from {{ ref('int_person_roles') }}

),

contracts as (

    select
        person_id,
        list(
            {
                'type': role,
                'propertyId': property_casavi_id,
                'unitId': unit_casavi_id,
                'startDate': start_date,
                'endDate': end_date
            }
            order by property_casavi_id, unit_casavi_id, start_date, role
        ) as contracts
    from roles
    where role in ('RENTER', 'OWNER') and is_account_open
    group by person_id

),

final as (

    select
        persons.casavi_id as id,
        persons.salutation,
        persons.title,
        persons.first_name as "firstName",
        persons.last_name as "lastName",
        persons.company_name as "companyName",
        persons.email,
        persons.phone as telephone,
        persons.mobile,
        persons.street,
        persons.postal_code as "postalCode",
        persons.city,
        persons.country,
        coalesce(
            contracts.contracts,
            cast([] as struct(
                "type" varchar, "propertyId" varchar, "unitId" varchar,
                "startDate" date, "endDate" date
            )[])
        ) as contracts
    from persons
    left join contracts on persons.person_id = contracts.person_id
    where persons.is_synced

)

select * from final
