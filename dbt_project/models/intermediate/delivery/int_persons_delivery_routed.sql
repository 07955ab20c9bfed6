-- E1: the delivery route of a person, once for a template that may go to the portal and
-- once for one that may not. PORTAL needs a registered portal user who is synced and
-- whose effective contact preference (casavi's value if set, else iX-Haus', C4) is not
-- POSTAL; otherwise EMAIL with an e-mail address; otherwise LETTER. POSTAL always
-- means LETTER.
with

persons as (

    select * from {{ ref('int_persons_synced') }}

),

contacts as (

    select * from {{ ref('stg_casavi__contacts') }}

),

joined as (

    select
        persons.person_id,
        persons.is_synced,
        coalesce(contacts.is_registered, false) as is_registered,
        persons.contact_preference as ixhaus_contact_preference,
        contacts.preferred_way_of_contact as casavi_contact_preference,
        coalesce(
            contacts.preferred_way_of_contact, persons.contact_preference
        ) as effective_contact_preference,
        nullif(trim(persons.email), '') is not null as has_email
    from persons
    left join contacts on persons.casavi_id = contacts.id

),

final as (

    select
        person_id,
        is_synced,
        is_registered,
        is_synced and is_registered as is_portal_user,
        ixhaus_contact_preference,
        casavi_contact_preference,
        effective_contact_preference,
        has_email,
        case
            when effective_contact_preference = 'POSTAL' then 'LETTER'
            when is_synced and is_registered then 'PORTAL'
            when has_email then 'EMAIL'
            else 'LETTER'
        end as route_if_portal_allowed,
        case
            when effective_contact_preference = 'POSTAL' then 'LETTER'
            when has_email then 'EMAIL'
            else 'LETTER'
        end as route_if_portal_excluded
    from joined

)

select * from final
