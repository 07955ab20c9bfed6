with

source as (

    {{ typed_source('raw_ixhaus', 'trades', [
            ['trade_id', 'bigint'],
            ['name', 'varchar'],
            ['release_tenant', 'boolean'],
            ['release_caretaker', 'boolean'],
            ['release_owner', 'boolean'],
            ['updated_at', 'timestamp']
        ]) }}

),

final as (

    select
        trade_id,
        name,
        release_tenant,
        release_caretaker,
        release_owner,
        updated_at
    from source

)

select * from final
