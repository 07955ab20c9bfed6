with

source as (

    {{ typed_source('raw_ixhaus', 'ticket_priorities', [
            ['priority_id', 'bigint'],
            ['name', 'varchar'],
            ['is_standard', 'boolean'],
            ['portal_released', 'boolean'],
            ['updated_at', 'timestamp']
        ]) }}

),

final as (

    select
        priority_id,
        name,
        is_standard,
        portal_released,
        updated_at
    from source

)

select * from final
