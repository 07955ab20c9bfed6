with

source as (

    {{ typed_source('raw_ixhaus', 'ticket_types', [
            ['ticket_type_id', 'bigint'],
            ['name', 'varchar'],
            ['category', 'varchar'],
            ['description', 'varchar'],
            ['portal_locked', 'boolean'],
            ['portal_bulletin', 'boolean'],
            ['portal_object_ticket', 'boolean'],
            ['notify_unregistered', 'boolean'],
            ['note_on_commission', 'boolean'],
            ['release_tenant', 'boolean'],
            ['release_caretaker', 'boolean'],
            ['release_owner', 'boolean'],
            ['updated_at', 'timestamp']
        ]) }}

),

final as (

    select
        ticket_type_id,
        name,
        category,
        description,
        portal_locked,
        portal_bulletin,
        portal_object_ticket,
        notify_unregistered,
        note_on_commission,
        release_tenant,
        release_caretaker,
        release_owner,
        updated_at
    from source

)

select * from final
