with

source as (

    {{ typed_source('raw_ixhaus', 'documents', [
            ['document_id', 'bigint'],
            ['document_type', 'varchar'],
            ['title', 'varchar'],
            ['file_name', 'varchar'],
            ['mime_type', 'varchar'],
            ['size_bytes', 'bigint'],
            ['document_date', 'date'],
            ['object_id', 'bigint'],
            ['unit_id', 'bigint'],
            ['person_id', 'bigint'],
            ['updated_at', 'timestamp']
        ]) }}

),

final as (

    select
        document_id,
        document_type,
        title,
        file_name,
        mime_type,
        size_bytes,
        document_date,
        object_id,
        unit_id,
        person_id,
        updated_at
    from source

)

select * from final
