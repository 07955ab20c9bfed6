with

source as (

    {{ typed_source('raw_ixhaus', 'templates', [
            ['template_id', 'bigint'],
            ['name', 'varchar'],
            ['document_type', 'varchar'],
            ['portal_excluded', 'boolean'],
            ['updated_at', 'timestamp']
        ]) }}

),

final as (

    select
        template_id,
        name,
        document_type,
        portal_excluded,
        updated_at
    from source

)

select * from final
