with

source as (

    {{ typed_source('portal_sync', 'runs', [
            ['run_id', 'bigint'],
            ['command', 'varchar'],
            ['options', 'varchar'],
            ['started_at', 'timestamp'],
            ['finished_at', 'timestamp'],
            ['status', 'varchar'],
            ['counts', 'json'],
            ['error', 'varchar']
        ]) }}

),

final as (

    select
        run_id,
        command,
        options,
        started_at,
        finished_at,
        status,
        counts,
        error
    from source

)

select * from final
