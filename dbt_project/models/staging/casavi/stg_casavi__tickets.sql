with

source as (

    {{ typed_source('raw_casavi', 'tickets', [
            ['id', 'varchar'],
            ['internal_id', 'bigint'],
            ['created_at', 'timestamp'],
            ['modified_at', 'timestamp'],
            ['managed_externally', 'boolean'],
            ['source', 'varchar'],
            ['ticket_type_id', 'varchar'],
            ['property_id', 'varchar'],
            ['unit_id', 'varchar'],
            ['reporter_contact_id', 'varchar'],
            ['title', 'varchar'],
            ['description', 'varchar'],
            ['status', 'varchar'],
            ['priority', 'varchar'],
            ['trade_id', 'varchar'],
            ['visibility', 'json'],
            ['notify_unregistered_contacts', 'boolean'],
            ['last_portal_activity', 'json'],
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
        ticket_type_id,
        property_id,
        unit_id,
        reporter_contact_id,
        title,
        description,
        status,
        priority,
        trade_id,
        visibility,
        notify_unregistered_contacts,
        last_portal_activity
    from source
    where deleted is not true

)

select * from final
