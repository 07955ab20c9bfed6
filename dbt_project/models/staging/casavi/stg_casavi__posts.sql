with

source as (

    {{ typed_source('raw_casavi', 'posts', [
            ['id', 'varchar'],
            ['internal_id', 'bigint'],
            ['created_at', 'timestamp'],
            ['modified_at', 'timestamp'],
            ['managed_externally', 'boolean'],
            ['source', 'varchar'],
            ['property_id', 'varchar'],
            ['title', 'varchar'],
            ['content', 'varchar'],
            ['audiences', 'json'],
            ['notify_unregistered_contacts', 'boolean'],
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
        property_id,
        title,
        content,
        audiences,
        notify_unregistered_contacts
    from source
    where deleted is not true

)

select * from final
