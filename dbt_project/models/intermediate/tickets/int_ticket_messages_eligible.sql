-- B13: public notes of synced tickets become casavi ticket messages (N-<note_id>);
-- commissioning a contractor (ticket_orders) on a ticket whose type has
-- note_on_commission becomes a message ORD-<order_id>. Notes that came from the portal
-- (portal_message_id set) already exist in casavi under their C- id: never again (no echo).
with

notes as (
    select * from {{ ref('stg_ixhaus__ticket_notes') }}
),

orders as (
    select * from {{ ref('stg_ixhaus__ticket_orders') }}
),

tickets as (
    select * from {{ ref('int_tickets_eligible') }}
),

ticket_types as (
    select * from {{ ref('int_ticket_types_published') }}
),

trades as (
    select * from {{ ref('stg_ixhaus__trades') }}
),

users as (
    select * from {{ ref('stg_ixhaus__users') }}
),

note_messages as (
    select
        'note' as message_kind,
        notes.note_id as source_id,
        'N-' || notes.note_id as casavi_id,
        notes.ticket_id,
        notes.text,
        coalesce(users.display_name, 'Hausverwaltung') as author_name,
        coalesce(notes.is_public, false) as is_public,
        notes.portal_message_id is not null as is_from_portal,
        notes.portal_message_id,
        notes.created_at
    from notes
    left join users on notes.created_by = users.user_id
),

order_messages as (
    select
        'commission' as message_kind,
        orders.order_id as source_id,
        'ORD-' || orders.order_id as casavi_id,
        orders.ticket_id,
        'Der Auftrag wurde an ' || orders.contractor_name
        || coalesce(' (' || trades.name || ')', '')
        || ' vergeben.' as text,
        'Hausverwaltung' as author_name,
        true as is_public,
        false as is_from_portal,
        null::varchar as portal_message_id,
        orders.created_at
    from orders
    inner join tickets on orders.ticket_id = tickets.ticket_id
    inner join ticket_types on tickets.ticket_type_id = ticket_types.ticket_type_id
    left join trades on orders.trade_id = trades.trade_id
    where ticket_types.has_note_on_commission
),

messages as (
    select * from note_messages
    union all
    select * from order_messages
),

final as (
    select
        messages.message_kind,
        messages.source_id,
        case
            when messages.is_from_portal then messages.portal_message_id
            else messages.casavi_id
        end as casavi_id,
        messages.ticket_id,
        tickets.casavi_id as ticket_casavi_id,
        messages.text,
        messages.author_name,
        messages.is_public,
        messages.is_from_portal,
        messages.created_at,
        case
            when not messages.is_public then 'NOTE_INTERNAL'
            when not coalesce(tickets.is_synced, false) then 'NOTE_TICKET_NOT_SYNCED'
            when tickets.casavi_collection != 'tickets' then 'NOTE_TICKET_NOT_SYNCED'
        end as reason_code
    from messages
    left join tickets on messages.ticket_id = tickets.ticket_id
)

select
    *,
    reason_code is null as is_synced,
    reason_code is null and not is_from_portal as is_published
from final
