with

source as (

    {{ typed_source('raw_ixhaus', 'objects', [
            ['object_id', 'bigint'],
            ['object_number', 'varchar'],
            ['name', 'varchar'],
            ['street', 'varchar'],
            ['postal_code', 'varchar'],
            ['city', 'varchar'],
            ['country', 'varchar'],
            ['management_end_date', 'date'],
            ['updated_at', 'timestamp']
        ]) }}

),

final as (

    select
        object_id,
        object_number,
        name,
        street,
        postal_code,
        city,
        country,
        management_end_date,
        updated_at
    from source

)

select * from final
