{{ config(tags=['writeback']) }}
-- C4: the contact preference (Kontaktart) chosen in casavi, written to
-- persons.contact_preference; only rows that differ.
with

contacts as (
    select * from {{ ref('stg_casavi__contacts') }}
),

persons as (
    select * from {{ ref('stg_ixhaus__persons') }}
),

final as (
    select
        persons.person_id,
        contacts.preferred_way_of_contact as contact_preference
    from contacts
    inner join persons on contacts.id = 'P-' || persons.person_id
    where
        contacts.preferred_way_of_contact in ('ONLINE', 'POSTAL')
        and contacts.preferred_way_of_contact is distinct from persons.contact_preference
)

select * from final
