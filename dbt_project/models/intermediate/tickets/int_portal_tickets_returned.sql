{{ config(tags=["writeback"]) }}
-- C1: tickets created in casavi (source PORTAL) not yet in iX-Haus go back to iX-Haus
-- when their casavi ticket type is one owned by iX-Haus (TT-…) and still released, and
-- their reporter is a known person (P-…). casavi keys are mapped back to iX-Haus keys;
-- status and priority as matched in int_portal_ticket_labels_matched.
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

labels as (
    select * from {{ ref('int_portal_ticket_labels_matched') }}
),

portal_tickets as (
    select casavi_tickets.*
    from casavi_tickets
    left join ixhaus_tickets on casavi_tickets.id = ixhaus_tickets.portal_ticket_id
    where casavi_tickets.source = 'PORTAL' and ixhaus_tickets.ticket_id is null
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
        labels.priority_id,
        labels.status_id,
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
    left join labels on portal_tickets.id = labels.casavi_ticket_id
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
