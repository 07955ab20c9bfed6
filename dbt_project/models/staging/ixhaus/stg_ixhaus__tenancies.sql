with

source as (

    {{ typed_source('raw_ixhaus', 'tenancies', [
            ['tenancy_id', 'bigint'],
            ['unit_id', 'bigint'],
            ['person_id', 'bigint'],
            ['move_in_date', 'date'],
            ['move_out_date', 'date'],
            ['updated_at', 'timestamp']
        ]) }}

),

final as (

    select
        tenancy_id,
        unit_id,
        person_id,
        move_in_date,
        move_out_date,
        updated_at
    from source

)

select * from final
