{{ config(tags=['writeback']) }}
-- D1, D2: the rows of iX-Haus ticket_portal_state that differ from what iX-Haus holds
-- (the write-back sets updated_at), so a second run writes nothing.
with

portal_state as (
    select * from {{ ref('ticket_portal_state') }}
),

ixhaus_state as (
    select * from {{ ref('stg_ixhaus__ticket_portal_state') }}
),

final as (
    select
        portal_state.ticket_id,
        portal_state.portal_status,
        portal_state.portal_state_label,
        portal_state.reason_code,
        portal_state.reason_text,
        portal_state.last_portal_change_at,
        portal_state.last_portal_change_kind
    from portal_state
    left join ixhaus_state on portal_state.ticket_id = ixhaus_state.ticket_id
    where
        ixhaus_state.ticket_id is null
        or portal_state.portal_status is distinct from ixhaus_state.portal_status
        or portal_state.portal_state_label is distinct from ixhaus_state.portal_state_label
        or portal_state.reason_code is distinct from ixhaus_state.reason_code
        or portal_state.reason_text is distinct from ixhaus_state.reason_text
        or portal_state.last_portal_change_at is distinct from ixhaus_state.last_portal_change_at
        or portal_state.last_portal_change_kind
        is distinct from ixhaus_state.last_portal_change_kind
)

select * from final
