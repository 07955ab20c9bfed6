{{ config(tags=["writeback"]) }}
-- B9 tickets and B10 bulletins: one row per iX-Haus ticket with the casavi resource it
-- becomes (a ticket T-/C-, or a post B-), is_synced and the reason when it is not.
-- Imported portal tickets (portal_ticket_id set, C1) keep their casavi id (C3).
with

tickets as (
    select * from {{ ref('stg_ixhaus__tickets') }}
),

ticket_types as (
    select * from {{ ref('int_ticket_types_published') }}
),

statuses as (
    select * from {{ ref('int_ticket_statuses_substituted') }}
),

priorities as (
    select * from {{ ref('int_ticket_priorities_substituted') }}
),

objects as (
    select * from {{ ref('int_objects_synced') }}
),

units as (
    select * from {{ ref('int_units_synced') }}
),

persons as (
    select * from {{ ref('int_persons_synced') }}
),

person_roles as (
    select * from {{ ref('int_person_roles') }}
),

trades as (
    select * from {{ ref('int_trades_published') }}
),

casavi_tickets as (
    select * from {{ ref('stg_casavi__tickets') }}
),

-- the reporter's roles in the ticket's object while their portal account is open
reporter_roles as (
    select
        tickets.ticket_id,
        list(distinct person_roles.role order by person_roles.role) as roles
    from tickets
    inner join person_roles
        on
            tickets.reporter_person_id = person_roles.person_id
            and tickets.object_id = person_roles.object_id
    where person_roles.is_account_open
    group by tickets.ticket_id
),

joined as (
    select
        tickets.ticket_id,
        tickets.portal_ticket_id,
        tickets.ticket_type_id,
        tickets.object_id,
        tickets.unit_id,
        tickets.reporter_person_id,
        tickets.trade_id,
        tickets.status_id,
        tickets.priority_id,
        tickets.title,
        tickets.description,
        tickets.created_by,
        tickets.updated_at,
        ticket_types.casavi_id as ticket_type_casavi_id,
        coalesce(ticket_types.is_portal_locked, true) as is_type_locked,
        coalesce(ticket_types.is_bulletin, false) as is_bulletin,
        coalesce(ticket_types.is_object_ticket, false) as is_object_ticket,
        coalesce(ticket_types.is_notify_unregistered, false) as is_notify_unregistered,
        coalesce(ticket_types.audiences, []::varchar[]) as type_audiences,
        objects.casavi_id as property_casavi_id,
        coalesce(objects.is_synced, false) as is_object_synced,
        case when units.is_synced then units.casavi_id end as unit_casavi_id,
        case when persons.is_synced then persons.casavi_id end as reporter_casavi_id,
        coalesce(reporter_roles.roles, []::varchar[]) as reporter_roles,
        trades.casavi_id as trade_casavi_id,
        statuses.portal_label as status_label,
        priorities.portal_label as priority_label,
        coalesce(statuses.is_closed or statuses.is_cancelled, false) as is_closed_or_cancelled,
        casavi_tickets.id is not null as is_in_casavi
    from tickets
    left join ticket_types on tickets.ticket_type_id = ticket_types.ticket_type_id
    left join objects on tickets.object_id = objects.object_id
    left join units on tickets.unit_id = units.unit_id
    left join persons on tickets.reporter_person_id = persons.person_id
    left join reporter_roles on tickets.ticket_id = reporter_roles.ticket_id
    left join trades on tickets.trade_id = trades.trade_id
    left join statuses on tickets.status_id = statuses.status_id
    left join priorities on tickets.priority_id = priorities.priority_id
    left join casavi_tickets on tickets.portal_ticket_id = casavi_tickets.id
),

audiences as (
    select
        *,
        portal_ticket_id is not null as is_from_portal,
        reporter_casavi_id is not null and len(reporter_roles) > 0 as is_reporter_in_portal,
        len(list_intersect(reporter_roles, type_audiences)) > 0 as is_released_for_reporter
    from joined
),

reasoned as (
    select
        *,
        case
            when is_type_locked then 'TICKET_TYPE_PORTAL_LOCKED'
            when not is_object_synced then 'TICKET_OBJECT_NOT_SYNCED'
            when is_bulletin and is_closed_or_cancelled then 'TICKET_BULLETIN_CLOSED'
            when is_bulletin and len(type_audiences) = 0 then 'TICKET_NO_PORTAL_AUDIENCE'
            when is_bulletin then null
            when is_from_portal and not is_in_casavi then 'TICKET_DELETED_IN_PORTAL'
            when is_from_portal then null
            when is_object_ticket and len(type_audiences) > 0 then null
            when not is_reporter_in_portal then 'TICKET_NO_PORTAL_AUDIENCE'
            when not is_released_for_reporter then 'TICKET_TYPE_NOT_RELEASED_FOR_REPORTER'
        end as reason_code
    from audiences
),

final as (
    select
        ticket_id,
        case when is_bulletin then 'posts' else 'tickets' end as casavi_collection,
        case
            when is_bulletin then 'B-' || ticket_id
            when is_from_portal then portal_ticket_id
            else 'T-' || ticket_id
        end as casavi_id,
        portal_ticket_id,
        is_from_portal,
        ticket_type_id,
        ticket_type_casavi_id,
        is_bulletin,
        is_object_ticket,
        object_id,
        property_casavi_id,
        unit_id,
        unit_casavi_id,
        reporter_person_id,
        -- only a reporter entitled to see the ticket is named in casavi (F4)
        case when is_released_for_reporter then reporter_casavi_id end as reporter_casavi_id,
        reporter_roles,
        trade_id,
        trade_casavi_id,
        title,
        description,
        status_id,
        status_label,
        priority_id,
        priority_label,
        is_closed_or_cancelled,
        is_notify_unregistered,
        type_audiences as audiences,
        is_object_ticket as is_property_wide,
        created_by,
        updated_at,
        reason_code is null as is_synced,
        reason_code
    from reasoned
)

select * from final
