with

source as (

    {{ typed_source('raw_casavi', 'units', [
            ['id', 'varchar'],
            ['internal_id', 'bigint'],
            ['created_at', 'timestamp'],
            ['modified_at', 'timestamp'],
            ['managed_externally', 'boolean'],
            ['source', 'varchar'],
            ['property_id', 'varchar'],
            ['number', 'varchar'],
            ['name', 'varchar'],
            ['floor', 'varchar'],
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
        number,
        name,
        floor
    from source
    where deleted is not true

)

select * from final
