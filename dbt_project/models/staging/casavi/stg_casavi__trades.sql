with

source as (

    {{ typed_source('raw_casavi', 'trades', [
            ['id', 'varchar'],
            ['internal_id', 'bigint'],
            ['created_at', 'timestamp'],
            ['modified_at', 'timestamp'],
            ['managed_externally', 'boolean'],
            ['source', 'varchar'],
            ['name', 'varchar'],
            ['audiences', 'json'],
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
        audiences
    from source
    where deleted is not true

)

select * from final
