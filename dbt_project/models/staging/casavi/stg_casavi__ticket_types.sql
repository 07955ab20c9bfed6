with

source as (

    {{ typed_source('raw_casavi', 'ticket_types', [
            ['id', 'varchar'],
            ['internal_id', 'bigint'],
            ['created_at', 'timestamp'],
            ['modified_at', 'timestamp'],
            ['managed_externally', 'boolean'],
            ['source', 'varchar'],
            ['name', 'varchar'],
            ['category', 'varchar'],
            ['description', 'varchar'],
            ['audiences', 'json'],
            ['modified_in_portal', 'boolean'],
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
        name,
        category,
        description,
        audiences,
        modified_in_portal
    from source
    where deleted is not true

)

select * from final
