with

source as (

    {{ typed_source('raw_docuware', 'document_types', [
            ['document_type', 'varchar'],
            ['first_seen_at', 'timestamp'],
            ['last_seen_at', 'timestamp']
        ]) }}

),

final as (

    select
        document_type,
        first_seen_at,
        last_seen_at
    from source

)

select * from final
