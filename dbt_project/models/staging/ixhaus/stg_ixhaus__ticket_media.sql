with

source as (

    {{ typed_source('raw_ixhaus', 'ticket_media', [
            ['media_id', 'bigint'],
            ['ticket_id', 'bigint'],
            ['file_name', 'varchar'],
            ['mime_type', 'varchar'],
            ['size_bytes', 'bigint'],
            ['is_public', 'boolean'],
            ['created_by', 'varchar'],
            ['created_at', 'timestamp'],
            ['updated_at', 'timestamp'],
            ['portal_attachment_id', 'varchar']
        ]) }}

),

final as (

    select
        media_id,
        ticket_id,
        file_name,
        mime_type,
        size_bytes,
        is_public,
        created_by,
        created_at,
        updated_at,
        portal_attachment_id
    from source

)

select * from final
