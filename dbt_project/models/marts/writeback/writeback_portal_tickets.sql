{{ config(tags=['writeback']) }}
-- C1: casavi tickets to create in iX-Haus (creator = technical user, set by the write-back).
with

returned as (
    select * from {{ ref('int_portal_tickets_returned') }}
),

final as (
    select
        portal_ticket_id,
        ticket_type_id,
        object_id,
        unit_id,
        reporter_person_id,
        priority_id,
        status_id,
        trade_id,
        title,
        description,
        created_at
    from returned
    where is_synced
)

select * from final
