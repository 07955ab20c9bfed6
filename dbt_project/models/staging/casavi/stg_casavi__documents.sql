with

source as (

    {{ typed_source('raw_casavi', 'documents', [
            ['id', 'varchar'],
            ['internal_id', 'bigint'],
            ['created_at', 'timestamp'],
            ['modified_at', 'timestamp'],
            ['managed_externally', 'boolean'],
            ['source', 'varchar'],
            ['title', 'varchar'],
            ['type', 'varchar'],
            ['document_date', 'date'],
            ['property_id', 'varchar'],
            ['unit_id', 'varchar'],
            ['contact_ids', 'json'],
            ['audiences', 'json'],
            ['size', 'bigint'],
            ['sha256', 'varchar'],
            ['content_type', 'varchar'],
            ['downloads', 'json'],
            ['deleted', 'boolean']
        ]) }}

),

final as (

    select
        id,
        internal_id,
        created_at,
        modified_at,
        managed_externally,
        source,
        title,
        type,
        document_date,
        property_id,
        unit_id,
        contact_ids,
        audiences,
        size,
        sha256,
        content_type,
        downloads
    from source
    where deleted is not true

)

select * from final
