with

source as (

    {{ typed_source('raw_casavi', 'ticket_attachments', [
            ['id', 'varchar'],
            ['internal_id', 'bigint'],
            ['created_at', 'timestamp'],
            ['modified_at', 'timestamp'],
            ['managed_externally', 'boolean'],
            ['source', 'varchar'],
            ['ticket_id', 'varchar'],
            ['file_name', 'varchar'],
            ['content_type', 'varchar'],
            ['size', 'bigint'],
            ['sha256', 'varchar'],
            ['author_type', 'varchar'],
            ['author_contact_id', 'varchar'],
            ['deleted', 'boolean']
        ]) }}

),

final as (

    select
        id,
        internal_id,
        created_at,
        modified_at,
        managed_externally,
        source,
        ticket_id,
        file_name,
        content_type,
        size,
        sha256,
        author_type,
        author_contact_id
    from source
    where deleted is not true

)

select * from final
