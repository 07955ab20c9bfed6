{{ config(tags=["writeback"]) }}
-- D1, D2: the field "Serviceportal" of every iX-Haus ticket: whether it is in the portal
-- and its portal status, or why not (reason code + German text); and the portal news
-- (when and what last changed in casavi), cleared once the ticket changed in iX-Haus after
-- (the write-back's own insert of an imported portal ticket does not count).
with

tickets as (
    select * from {{ ref('int_tickets_eligible') }}
),

casavi_tickets as (
    select * from {{ ref('stg_casavi__tickets') }}
),

casavi_posts as (
    select * from {{ ref('stg_casavi__posts') }}
),

publish_items as (
    select * from {{ ref('stg_portal_sync__publish_items') }}
),

reason_codes as (
    select * from {{ ref('reason_codes') }}
),

-- when the write-back inserted an imported portal ticket (C1)
sync_inserts as (
    select
        key as portal_ticket_id,
        written_at
    from {{ ref('stg_portal_sync__writeback_items') }}
    where kind = 'ticket' and status = 'written'
),

in_casavi as (
    select
        'tickets' as collection,
        id,
        status as portal_status_label,
        try_cast(json_extract_string(last_portal_activity, '$.at') as timestamp)
            as last_portal_activity_at,
        json_extract_string(last_portal_activity, '$.kind') as last_portal_activity_kind
    from casavi_tickets
    union all
    select
        'posts' as collection,
        id,
        null::varchar as portal_status_label,
        null::timestamp as last_portal_activity_at,
        null::varchar as last_portal_activity_kind
    from casavi_posts
),

joined as (
    select
        tickets.ticket_id,
        tickets.casavi_collection,
        tickets.casavi_id,
        tickets.is_synced,
        tickets.reason_code,
        tickets.is_from_portal,
        tickets.status_label,
        tickets.updated_at as ticket_updated_at,
        -- the sync's own insert of an imported portal ticket is not a change in iX-Haus:
        -- only an updated_at after the write-back confirmed the insert is
        tickets.is_from_portal
        and tickets.created_by = '{{ var("technical_user") }}'
        and tickets.updated_at <= sync_inserts.written_at as is_unchanged_since_import,
        in_casavi.id is not null as is_in_casavi,
        in_casavi.portal_status_label,
        in_casavi.last_portal_activity_at,
        in_casavi.last_portal_activity_kind,
        publish_items.status as publish_status,
        publish_items.last_error as publish_last_error,
        reason_codes.text_de as reason_text_de
    from tickets
    left join in_casavi
        on
            tickets.casavi_collection = in_casavi.collection
            and tickets.casavi_id = in_casavi.id
    left join publish_items
        on
            tickets.casavi_collection = publish_items.collection
            and tickets.casavi_id = publish_items.resource_id
    left join reason_codes on tickets.reason_code = reason_codes.reason_code
    left join sync_inserts on tickets.portal_ticket_id = sync_inserts.portal_ticket_id
),

stated as (
    select
        *,
        case
            when not is_synced then 'NOT_TRANSFERRED'
            when publish_status in ('failed', 'stuck') then 'FAILED'
            when is_in_casavi and (publish_status = 'confirmed' or is_from_portal)
                then 'TRANSFERRED'
            else 'PENDING'
        end as portal_status,
        last_portal_activity_at is not null
        and (
            ticket_updated_at is null
            or ticket_updated_at <= last_portal_activity_at
            or coalesce(is_unchanged_since_import, false)
        ) as has_portal_news
    from joined
),

final as (
    select
        ticket_id,
        casavi_collection,
        casavi_id,
        portal_status,
        case
            when portal_status = 'NOT_TRANSFERRED' then null
            when casavi_collection = 'posts' then null
            else coalesce(portal_status_label, status_label)
        end as portal_state_label,
        case when portal_status = 'NOT_TRANSFERRED' then reason_code end as reason_code,
        case
            when portal_status = 'NOT_TRANSFERRED' then reason_text_de
            when portal_status = 'FAILED' and publish_status = 'stuck'
                then
                    'Übertragung an das Serviceportal scheitert wiederholt (Endlosschleife): '
                    || coalesce(publish_last_error, 'unbekannter Fehler')
            when portal_status = 'FAILED'
                then
                    'Übertragung an das Serviceportal fehlgeschlagen: '
                    || coalesce(publish_last_error, 'unbekannter Fehler')
        end as reason_text,
        case when has_portal_news then last_portal_activity_at end as last_portal_change_at,
        case when has_portal_news then last_portal_activity_kind end as last_portal_change_kind,
        ticket_updated_at
    from stated
)

select * from final
