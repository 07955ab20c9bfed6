with

source as (

    {{ typed_source('raw_ixhaus', 'persons', [
            ['person_id', 'bigint'],
            ['person_type', 'varchar'],
            ['partner_id', 'bigint'],
            ['salutation', 'varchar'],
            ['title', 'varchar'],
            ['first_name', 'varchar'],
            ['last_name', 'varchar'],
            ['company_name', 'varchar'],
            ['email', 'varchar'],
            ['phone', 'varchar'],
            ['mobile', 'varchar'],
            ['street', 'varchar'],
            ['postal_code', 'varchar'],
            ['city', 'varchar'],
            ['country', 'varchar'],
            ['contact_preference', 'varchar'],
            ['updated_at', 'timestamp']
        ]) }}

),

final as (

    select
        person_id,
        person_type,
        partner_id,
        salutation,
        title,
        first_name,
        last_name,
        company_name,
        email,
        phone,
        mobile,
        street,
        postal_code,
        city,
        country,
        contact_preference,
        updated_at
    from source

)

select * from final
