with

source as (

    {{ typed_source('raw_docuware', 'documents', [
            ['dwdocid', 'bigint'],
            ['dwstoredatetime', 'timestamp'],
            ['dwmoddatetime', 'timestamp'],
            ['empfaengerid', 'varchar'],
            ['empfaengertyp', 'varchar'],
            ['dokumenttyp', 'varchar'],
            ['dokumentname', 'varchar'],
            ['dokumentdatum', 'date'],
            ['objektnr', 'varchar'],
            ['status', 'varchar'],
            ['title', 'varchar'],
            ['content_type', 'varchar'],
            ['file_size', 'bigint'],
            ['original_file_name', 'varchar'],
            ['file_cabinet_id', 'varchar']
        ]) }}

),

final as (

    select
        dwdocid as docuware_document_id,
        dwstoredatetime as stored_at,
        dwmoddatetime as modified_at,
        empfaengerid as recipient_id,
        empfaengertyp as recipient_type,
        dokumenttyp as document_type,
        dokumentname as document_name,
        dokumentdatum as document_date,
        objektnr as object_number,
        status,
        title,
        content_type,
        file_size as file_size_bytes,
        original_file_name,
        file_cabinet_id
    from source

)

select * from final
