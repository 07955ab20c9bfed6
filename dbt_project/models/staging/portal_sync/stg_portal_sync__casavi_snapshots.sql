with

source as (

    {{ typed_source('portal_sync', 'casavi_snapshots', [
            ['snapshot_id', 'bigint'],
            ['started_at', 'timestamp'],
            ['finished_at', 'timestamp'],
            ['status', 'varchar'],
            ['is_full', 'boolean']
        ]) }}

),

final as (

    select
        snapshot_id,
        started_at,
        finished_at,
        status,
        is_full
    from source

)

select * from final
