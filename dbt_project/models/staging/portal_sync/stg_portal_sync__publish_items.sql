with

source as (

    {{ typed_source('portal_sync', 'publish_items', [
            ['collection', 'varchar'],
            ['resource_id', 'varchar'],
            ['action', 'varchar'],
            ['payload_hash', 'varchar'],
            ['status', 'varchar'],
            ['attempts', 'bigint'],
            ['consecutive_failures', 'bigint'],
            ['last_error', 'varchar'],
            ['last_attempt_at', 'timestamp'],
            ['confirmed_at', 'timestamp'],
            ['last_run_id', 'bigint']
        ]) }}

),

final as (

    select
        collection,
        resource_id,
        action,
        payload_hash,
        status,
        attempts,
        consecutive_failures,
        last_error,
        last_attempt_at,
        confirmed_at,
        last_run_id
    from source

)

select * from final
