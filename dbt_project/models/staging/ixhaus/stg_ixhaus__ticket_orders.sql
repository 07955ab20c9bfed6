with

source as (

    {{ typed_source('raw_ixhaus', 'ticket_orders', [
            ['order_id', 'bigint'],
            ['ticket_id', 'bigint'],
            ['contractor_name', 'varchar'],
            ['trade_id', 'bigint'],
            ['created_at', 'timestamp'],
            ['updated_at', 'timestamp']
        ]) }}

),

final as (

    select
        order_id,
        ticket_id,
        contractor_name,
        trade_id,
        created_at,
        updated_at
    from source

)

select * from final
