-- B13: casavi ticket messages portal-sync wants: public notes and commissioning
-- messages of synced tickets, never notes that came from the portal.
with

messages as (
    select * from {{ ref('int_ticket_messages_eligible') }}
),

final as (
    select
        casavi_id as id,
        ticket_casavi_id as "ticketId",
        text,
        author_name as "authorName"
    from messages
    where is_published
)

select * from final
