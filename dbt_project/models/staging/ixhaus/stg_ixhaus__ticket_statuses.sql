with

source as (

    {{ typed_source('raw_ixhaus', 'ticket_statuses', [
            ['status_id', 'bigint'],
            ['name', 'varchar'],
            ['is_standard', 'boolean'],
            ['portal_released', 'boolean'],
            ['is_closed', 'boolean'],
            ['is_cancelled', 'boolean'],
            ['updated_at', 'timestamp']
        ]) }}

),

final as (

    select
        status_id,
        name,
        is_standard,
        portal_released,
        is_closed,
        is_cancelled,
        updated_at
    from source

)

select * from final
