-- B11: a priority not released for the portal shows the standard priority instead.
with

priorities as (
    select * from {{ ref('stg_ixhaus__ticket_priorities') }}
),

standard_priority as (
    select name as standard_name
    from priorities
    where is_standard
    order by priority_id
    limit 1
),

final as (
    select
        priorities.priority_id,
        priorities.name,
        priorities.is_standard,
        coalesce(priorities.is_standard or priorities.portal_released, false) as is_portal_released,
        case
            when priorities.is_standard or priorities.portal_released then priorities.name
            else standard_priority.standard_name
        end as portal_label
    from priorities
    left join standard_priority on true
)

select * from final
