with

source as (

    {{ typed_source('raw_ixhaus', 'tickets', [
            ['ticket_id', 'bigint'],
            ['ticket_type_id', 'bigint'],
            ['object_id', 'bigint'],
            ['unit_id', 'bigint'],
            ['reporter_person_id', 'bigint'],
            ['priority_id', 'bigint'],
            ['status_id', 'bigint'],
            ['trade_id', 'bigint'],
            ['title', 'varchar'],
            ['description', 'varchar'],
            ['created_by', 'varchar'],
            ['created_at', 'timestamp'],
            ['updated_at', 'timestamp'],
            ['portal_ticket_id', 'varchar']
        ]) }}

),

final as (

    select
        ticket_id,
        ticket_type_id,
        object_id,
        unit_id,
        reporter_person_id,
        priority_id,
        status_id,
        trade_id,
        title,
        description,
        created_by,
        created_at,
        updated_at,
        portal_ticket_id
    from source

)

select * from final
