{{ config(tags=["writeback"]) }}
-- C1: tickets created in casavi (source PORTAL) not yet in iX-Haus go back to iX-Haus
-- when their casavi ticket type is one owned by iX-Haus (TT-…) and still released, and
-- their reporter is a known person (P-…). casavi keys are mapped back to iX-Haus keys;
-- status and priority are matched by label, else the standard one.
with

casavi_tickets as (
    select * from {{ ref('stg_casavi__tickets') }}
),

ixhaus_tickets as (
    select * from {{ ref('stg_ixhaus__tickets') }}
),

ticket_types as (
    select * from {{ ref('int_ticket_types_published') }}
),

objects as (
    select * from {{ ref('stg_ixhaus__objects') }}
),

units as (
    select * from {{ ref('stg_ixhaus__units') }}
),

persons as (
    select * from {{ ref('stg_ixhaus__persons') }}
),

trades as (
    select * from {{ ref('stg_ixhaus__trades') }}
),

statuses as (
    select * from {{ ref('int_ticket_statuses_substituted') }}
),

priorities as (
    select * from {{ ref('int_ticket_priorities_substituted') }}
),

portal_tickets as (
    select casavi_tickets.*
    from casavi_tickets
    left join ixhaus_tickets on casavi_tickets.id = ixhaus_tickets.portal_ticket_id
    where casavi_tickets.source = 'PORTAL' and ixhaus_tickets.ticket_id is null
),

standard_status as (
    select status_id from statuses where is_standard order by status_id limit 1
),

standard_priority as (
    select priority_id from priorities where is_standard order by priority_id limit 1
),

-- a label matches the iX-Haus status/priority of that name; released ones first
status_by_label as (
    select
        lower(name) as label_key,
        arg_min(status_id, [case when is_portal_released then 0 else 1 end, status_id]) as status_id
    from statuses
    group by lower(name)
),

priority_by_label as (
    select
        lower(name) as label_key,
        arg_min(priority_id, [case when is_portal_released then 0 else 1 end, priority_id])
            as priority_id
    from priorities
    group by lower(name)
),

mapped as (
    select
        portal_tickets.id as portal_ticket_id,
        portal_tickets.ticket_type_id as casavi_ticket_type_id,
        portal_tickets.property_id as casavi_property_id,
        portal_tickets.reporter_contact_id as casavi_reporter_contact_id,
        ticket_types.ticket_type_id,
        ticket_types.is_portal_locked,
        objects.object_id,
        units.unit_id,
        persons.person_id as reporter_person_id,
        coalesce(priority_by_label.priority_id, standard_priority.priority_id) as priority_id,
        coalesce(status_by_label.status_id, standard_status.status_id) as status_id,
        trades.trade_id,
        portal_tickets.title,
        portal_tickets.description,
        portal_tickets.created_at
    from portal_tickets
    left join ticket_types on portal_tickets.ticket_type_id = ticket_types.casavi_id
    left join objects on portal_tickets.property_id = 'O-' || objects.object_number
    left join units
        on
            portal_tickets.unit_id = 'U-' || units.unit_id
            and objects.object_id = units.object_id
    left join persons on portal_tickets.reporter_contact_id = 'P-' || persons.person_id
    left join trades on portal_tickets.trade_id = 'TR-' || trades.trade_id
    left join status_by_label on lower(portal_tickets.status) = status_by_label.label_key
    left join priority_by_label on lower(portal_tickets.priority) = priority_by_label.label_key
    left join standard_status on true
    left join standard_priority on true
),

final as (
    select
        *,
        case
            when ticket_type_id is null then 'PORTAL_TICKET_TYPE_NOT_FROM_IXHAUS'
            when is_portal_locked then 'PORTAL_TICKET_TYPE_NOT_RELEASED'
            when reporter_person_id is null then 'PORTAL_TICKET_UNKNOWN_CONTACT'
            when object_id is null then 'PORTAL_TICKET_UNKNOWN_PROPERTY'
        end as reason_code
    from mapped
)

select
    * exclude (is_portal_locked),
    reason_code is null as is_synced
from final
