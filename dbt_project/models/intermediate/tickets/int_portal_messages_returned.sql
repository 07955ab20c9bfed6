{{ config(tags=["writeback"]) }}
-- C2: messages written by portal contacts (authorType CONTACT) on tickets that are in
-- iX-Haus (published T- tickets, imported C- tickets) or being imported in this run
-- become public notes in iX-Haus, once (keyed by portal_message_id).
with

casavi_messages as (
    select * from {{ ref('stg_casavi__ticket_messages') }}
),

ixhaus_notes as (
    select * from {{ ref('stg_ixhaus__ticket_notes') }}
),

ticket_keys as (
    select * from {{ ref('int_portal_ticket_keys') }}
),

final as (
    select
        casavi_messages.id as portal_message_id,
        casavi_messages.ticket_id as portal_ticket_id,
        ticket_keys.ticket_id,
        ticket_keys.is_being_imported,
        casavi_messages.text,
        casavi_messages.author_contact_id,
        casavi_messages.created_at
    from casavi_messages
    inner join ticket_keys on casavi_messages.ticket_id = ticket_keys.portal_ticket_id
    left join ixhaus_notes on casavi_messages.id = ixhaus_notes.portal_message_id
    where
        casavi_messages.author_type = 'CONTACT'
        and ixhaus_notes.note_id is null
)

select * from final
