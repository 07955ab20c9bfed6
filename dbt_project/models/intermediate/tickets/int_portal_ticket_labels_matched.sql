{{ config(tags=["writeback"]) }}
-- C1, C3: the iX-Haus status and priority behind the labels of every casavi ticket:
-- the one of that name (case-insensitive; released ones first, then the lowest id), else
-- the standard one (also when casavi has no label, as for new portal tickets).
with

casavi_tickets as (
    select * from {{ ref('stg_casavi__tickets') }}
),

statuses as (
    select * from {{ ref('int_ticket_statuses_substituted') }}
),

priorities as (
    select * from {{ ref('int_ticket_priorities_substituted') }}
),

standard_status as (
    select status_id from statuses
    where is_standard
    order by status_id limit 1
),

standard_priority as (
    select priority_id from priorities
    where is_standard
    order by priority_id limit 1
),

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

final as (
    select
        casavi_tickets.id as casavi_ticket_id,
        coalesce(status_by_label.status_id, standard_status.status_id) as status_id,
        coalesce(priority_by_label.priority_id, standard_priority.priority_id) as priority_id
    from casavi_tickets
    left join status_by_label on lower(casavi_tickets.status) = status_by_label.label_key
    left join priority_by_label on lower(casavi_tickets.priority) = priority_by_label.label_key
    left join standard_status on true
    left join standard_priority on true
)

select * from final
