with

source as (

    {{ typed_source('raw_ixhaus', 'serial_letters', [
            ['letter_id', 'bigint'],
            ['template_id', 'bigint'],
            ['person_id', 'bigint'],
            ['document_id', 'bigint'],
            ['created_at', 'timestamp'],
            ['delivery_route', 'varchar'],
            ['updated_at', 'timestamp']
        ]) }}

),

final as (

    select
        letter_id,
        template_id,
        person_id,
        document_id,
        created_at,
        delivery_route,
        updated_at
    from source

)

select * from final
