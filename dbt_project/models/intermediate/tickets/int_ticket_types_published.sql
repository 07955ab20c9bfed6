-- B8: every ticket type not marked portal_locked is published as a casavi ticket type
-- owned by iX-Haus, with the audiences released for it.
with

ticket_types as (
    select * from {{ ref('stg_ixhaus__ticket_types') }}
),

final as (
    select
        ticket_type_id,
        'TT-' || ticket_type_id as casavi_id,
        name,
        category,
        description,
        coalesce(portal_locked, false) as is_portal_locked,
        coalesce(portal_bulletin, false) as is_bulletin,
        coalesce(portal_object_ticket, false) as is_object_ticket,
        coalesce(notify_unregistered, false) as is_notify_unregistered,
        coalesce(note_on_commission, false) as has_note_on_commission,
        coalesce(release_tenant, false) as is_released_for_renter,
        coalesce(release_owner, false) as is_released_for_owner,
        coalesce(release_caretaker, false) as is_released_for_caretaker,
        list_filter(
            [
                case when release_tenant then 'RENTER' end,
                case when release_owner then 'OWNER' end,
                case when release_caretaker then 'CARETAKER' end
            ],
            lambda audience: audience is not null
        )::varchar[] as audiences,
        not coalesce(portal_locked, false) as is_synced,
        case when coalesce(portal_locked, false) then 'TICKET_TYPE_PORTAL_LOCKED' end as reason_code
    from ticket_types
)

select * from final
