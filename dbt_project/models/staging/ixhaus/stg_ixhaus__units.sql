with

source as (

    {{ typed_source('raw_ixhaus', 'units', [
            ['unit_id', 'bigint'],
            ['object_id', 'bigint'],
            ['unit_number', 'varchar'],
            ['description', 'varchar'],
            ['floor', 'varchar'],
            ['updated_at', 'timestamp']
        ]) }}

),

final as (

    select
        unit_id,
        object_id,
        unit_number,
        description,
        floor,
        updated_at
    from source

)

select * from final
