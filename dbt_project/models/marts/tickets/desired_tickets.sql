-- B9, B11, C3: casavi tickets portal-sync wants (payload fields of casavi-api.md).
-- Imported portal tickets (C-…) keep what casavi holds except status and priority,
-- which iX-Haus masters (C3). A casavi label that still means the iX-Haus status or
-- priority (int_portal_ticket_labels_matched, the mapping used on import) is kept, so
-- nothing the sync wrote into iX-Haus echoes back as a change.
with

tickets as (
    select * from {{ ref('int_tickets_eligible') }}
),

casavi_tickets as (
    select * from {{ ref('stg_casavi__tickets') }}
),

labels as (
    select * from {{ ref('int_portal_ticket_labels_matched') }}
),

from_ixhaus as (
    select
        casavi_id as id,
        ticket_type_casavi_id as "ticketTypeId",
        property_casavi_id as "propertyId",
        unit_casavi_id as "unitId",
        reporter_casavi_id as "reporterContactId",
        title,
        description,
        status_label as status,
        priority_label as priority,
        trade_casavi_id as "tradeId",
        {
            'audiences': audiences,
            'propertyWide': is_property_wide
        }::struct(audiences varchar[], "propertyWide" boolean) as visibility,
        is_notify_unregistered as "notifyUnregisteredContacts"
    from tickets
    where is_synced and casavi_collection = 'tickets' and not is_from_portal
),

from_portal as (
    select
        tickets.casavi_id as id,
        casavi_tickets.ticket_type_id as "ticketTypeId",
        casavi_tickets.property_id as "propertyId",
        casavi_tickets.unit_id as "unitId",
        casavi_tickets.reporter_contact_id as "reporterContactId",
        casavi_tickets.title,
        casavi_tickets.description,
        case
            when labels.status_id = tickets.status_id then casavi_tickets.status
            else tickets.status_label
        end as status,
        case
            when labels.priority_id = tickets.priority_id then casavi_tickets.priority
            else tickets.priority_label
        end as priority,
        casavi_tickets.trade_id as "tradeId",
        from_json(
            casavi_tickets.visibility,
            '{"audiences": ["VARCHAR"], "propertyWide": "BOOLEAN"}'
        )::struct(audiences varchar[], "propertyWide" boolean) as visibility,
        casavi_tickets.notify_unregistered_contacts as "notifyUnregisteredContacts"
    from tickets
    inner join casavi_tickets on tickets.casavi_id = casavi_tickets.id
    left join labels on tickets.casavi_id = labels.casavi_ticket_id
    where tickets.is_synced and tickets.casavi_collection = 'tickets' and tickets.is_from_portal
),

final as (
    select * from from_ixhaus
    union all
    select * from from_portal
)

select * from final
