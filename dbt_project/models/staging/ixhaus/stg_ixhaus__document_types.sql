with

source as (

    {{ typed_source('raw_ixhaus', 'document_types', [
            ['document_type', 'varchar'],
            ['name', 'varchar'],
            ['updated_at', 'timestamp']
        ]) }}

),

final as (

    select
        document_type,
        name,
        updated_at
    from source

)

select * from final
