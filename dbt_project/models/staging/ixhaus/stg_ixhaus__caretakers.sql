with

source as (

    {{ typed_source('raw_ixhaus', 'caretakers', [
            ['caretaker_id', 'bigint'],
            ['object_id', 'bigint'],
            ['person_id', 'bigint'],
            ['start_date', 'date'],
            ['end_date', 'date'],
            ['updated_at', 'timestamp']
        ]) }}

),

final as (

    select
        caretaker_id,
        object_id,
        person_id,
        start_date,
        end_date,
        updated_at
    from source

)

select * from final
