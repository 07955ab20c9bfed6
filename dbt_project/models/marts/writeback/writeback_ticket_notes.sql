{{ config(tags=['writeback']) }}
-- C2: portal messages to add as public notes in iX-Haus (ticket_id null when the ticket
-- is created in the same run).
with

messages as (
    select * from {{ ref('int_portal_messages_returned') }}
),

final as (
    select
        portal_message_id,
        portal_ticket_id,
        ticket_id,
        text,
        created_at
    from messages
)

select * from final
