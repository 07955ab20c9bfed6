with

source as (

    {{ typed_source('raw_ixhaus', 'ticket_portal_state', [
            ['ticket_id', 'bigint'],
            ['portal_status', 'varchar'],
            ['portal_state_label', 'varchar'],
            ['reason_code', 'varchar'],
            ['reason_text', 'varchar'],
            ['last_portal_change_at', 'timestamp'],
            ['last_portal_change_kind', 'varchar'],
            ['updated_at', 'timestamp']
        ]) }}

),

final as (

    select
        ticket_id,
        portal_status,
        portal_state_label,
        reason_code,
        reason_text,
        last_portal_change_at,
        last_portal_change_kind,
        updated_at
    from source

)

select * from final
