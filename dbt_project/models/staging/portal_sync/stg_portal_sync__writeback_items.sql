with

source as (

    {{ typed_source('portal_sync', 'writeback_items', [
            ['kind', 'varchar'],
            ['key', 'varchar'],
            ['action', 'varchar'],
            ['status', 'varchar'],
            ['attempts', 'bigint'],
            ['last_error', 'varchar'],
            ['written_at', 'timestamp'],
            ['last_attempt_at', 'timestamp'],
            ['run_id', 'bigint'],
            ['ixhaus_id', 'bigint']
        ]) }}

),

final as (

    select
        kind,
        key,
        action,
        status,
        attempts,
        last_error,
        written_at,
        last_attempt_at,
        run_id,
        ixhaus_id
    from source

)

select * from final
