with

source as (

    {{ typed_source('raw_ixhaus', 'users', [
            ['user_id', 'varchar'],
            ['display_name', 'varchar'],
            ['docuware_username', 'varchar'],
            ['updated_at', 'timestamp']
        ]) }}

),

final as (

    select
        user_id,
        display_name,
        docuware_username,
        updated_at
    from source

)

select * from final
