{{ config(tags=["writeback"]) }}
-- C2: the casavi ticket ids that map to an iX-Haus ticket: tickets published by the
-- sync (T-<ticket_id>), tickets imported earlier (portal_ticket_id) and portal tickets
-- being imported in this run (ticket_id still null).
with

ixhaus_tickets as (
    select * from {{ ref('stg_ixhaus__tickets') }}
),

returned as (
    select * from {{ ref('int_portal_tickets_returned') }}
),

published as (
    select
        'T-' || ticket_id as portal_ticket_id,
        ticket_id,
        false as is_being_imported
    from ixhaus_tickets
    where portal_ticket_id is null
),

imported as (
    select
        portal_ticket_id,
        ticket_id,
        false as is_being_imported
    from ixhaus_tickets
    where portal_ticket_id is not null
),

being_imported as (
    select
        portal_ticket_id,
        null::bigint as ticket_id,
        true as is_being_imported
    from returned
    where is_synced
),

final as (
    select * from published
    union all
    select * from imported
    union all
    select * from being_imported
)

select * from final
