with

source as (

    {{ typed_source('raw_casavi', 'properties', [
            ['id', 'varchar'],
            ['internal_id', 'bigint'],
            ['created_at', 'timestamp'],
            ['modified_at', 'timestamp'],
            ['managed_externally', 'boolean'],
            ['source', 'varchar'],
            ['name', 'varchar'],
            ['number', 'varchar'],
            ['street', 'varchar'],
            ['postal_code', 'varchar'],
            ['city', 'varchar'],
            ['country', 'varchar'],
            ['responsibilities', 'json'],
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
        number,
        street,
        postal_code,
        city,
        country,
        responsibilities
    from source
    where deleted is not true

)

select * from final
