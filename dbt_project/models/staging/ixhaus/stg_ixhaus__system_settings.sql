with

source as (

    {{ typed_source('raw_ixhaus', 'system_settings', [
            ['setting_key', 'varchar'],
            ['setting_value', 'varchar']
        ]) }}

),

final as (

    select
        setting_key,
        setting_value
    from source

)

select * from final
