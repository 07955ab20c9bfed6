-- B11: a status not released for the portal shows the standard status instead.
with

statuses as (
    select * from {{ ref('stg_ixhaus__ticket_statuses') }}
),

standard_status as (
    select name as standard_name
    from statuses
    where is_standard
    order by status_id
    limit 1
),

final as (
    select
        statuses.status_id,
        statuses.name,
        statuses.is_standard,
        coalesce(statuses.is_standard or statuses.portal_released, false) as is_portal_released,
        case
            when statuses.is_standard or statuses.portal_released then statuses.name
            else standard_status.standard_name
        end as portal_label,
        coalesce(statuses.is_closed, false) as is_closed,
        coalesce(statuses.is_cancelled, false) as is_cancelled
    from statuses
    left join standard_status on true
)

select * from final
