with

source as (

    {{ typed_source('raw_casavi', 'ticket_messages', [
            ['id', 'varchar'],
            ['internal_id', 'bigint'],
            ['created_at', 'timestamp'],
            ['modified_at', 'timestamp'],
            ['managed_externally', 'boolean'],
            ['source', 'varchar'],
            ['ticket_id', 'varchar'],
            ['text', 'varchar'],
            ['author_name', 'varchar'],
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
        text,
        author_name,
        author_type,
        author_contact_id
    from source
    where deleted is not true

)

select * from final
