with

source as (

    {{ typed_source('raw_ixhaus', 'ticket_notes', [
            ['note_id', 'bigint'],
            ['ticket_id', 'bigint'],
            ['text', 'varchar'],
            ['is_public', 'boolean'],
            ['created_by', 'varchar'],
            ['created_at', 'timestamp'],
            ['updated_at', 'timestamp'],
            ['portal_message_id', 'varchar']
        ]) }}

),

final as (

    select
        note_id,
        ticket_id,
        text,
        is_public,
        created_by,
        created_at,
        updated_at,
        portal_message_id
    from source

)

select * from final
