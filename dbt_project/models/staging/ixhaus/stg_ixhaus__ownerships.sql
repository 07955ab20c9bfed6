with

source as (

    {{ typed_source('raw_ixhaus', 'ownerships', [
            ['ownership_id', 'bigint'],
            ['object_id', 'bigint'],
            ['unit_id', 'bigint'],
            ['person_id', 'bigint'],
            ['start_date', 'date'],
            ['end_date', 'date'],
            ['updated_at', 'timestamp']
        ]) }}

),

final as (

    select
        ownership_id,
        object_id,
        unit_id,
        person_id,
        start_date,
        end_date,
        updated_at
    from source

)

select * from final
