with

source as (

    {{ typed_source('raw_casavi', 'contacts', [
            ['id', 'varchar'],
            ['internal_id', 'bigint'],
            ['created_at', 'timestamp'],
            ['modified_at', 'timestamp'],
            ['managed_externally', 'boolean'],
            ['source', 'varchar'],
            ['salutation', 'varchar'],
            ['title', 'varchar'],
            ['first_name', 'varchar'],
            ['last_name', 'varchar'],
            ['company_name', 'varchar'],
            ['email', 'varchar'],
            ['telephone', 'varchar'],
            ['mobile', 'varchar'],
            ['street', 'varchar'],
            ['postal_code', 'varchar'],
            ['city', 'varchar'],
            ['country', 'varchar'],
            ['contracts', 'json'],
            ['is_registered', 'boolean'],
            ['is_invited', 'boolean'],
            ['preferred_way_of_contact', 'varchar'],
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
        salutation,
        title,
        first_name,
        last_name,
        company_name,
        email,
        telephone,
        mobile,
        street,
        postal_code,
        city,
        country,
        contracts,
        is_registered,
        is_invited,
        preferred_way_of_contact
    from source
    where deleted is not true

)

select * from final
