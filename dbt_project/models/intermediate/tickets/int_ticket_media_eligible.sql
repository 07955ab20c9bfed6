-- B14: public media files of synced tickets become casavi ticket attachments
-- (M-<media_id>); B7 file limits apply. Media that came from the portal
-- (portal_attachment_id set) already exist in casavi: never again (no echo).
with

media as (
    select * from {{ ref('stg_ixhaus__ticket_media') }}
),

tickets as (
    select * from {{ ref('int_tickets_eligible') }}
),

final as (
    select
        media.media_id,
        coalesce(media.portal_attachment_id, 'M-' || media.media_id) as casavi_id,
        media.ticket_id,
        tickets.casavi_id as ticket_casavi_id,
        media.file_name,
        media.mime_type,
        media.size_bytes,
        coalesce(media.is_public, false) as is_public,
        media.portal_attachment_id is not null as is_from_portal,
        media.created_at,
        case
            when not coalesce(media.is_public, false) then 'MEDIA_INTERNAL'
            when not coalesce(tickets.is_synced, false) then 'MEDIA_TICKET_NOT_SYNCED'
            when tickets.casavi_collection != 'tickets' then 'MEDIA_TICKET_NOT_SYNCED'
            when media.portal_attachment_id is not null then null
            when coalesce(media.size_bytes, 0) <= 0 then 'MEDIA_FILE_EMPTY'
            when media.size_bytes > {{ var('max_file_size_mb', 100) }} * 1024 * 1024
                then 'MEDIA_FILE_TOO_LARGE'
        end as reason_code
    from media
    left join tickets on media.ticket_id = tickets.ticket_id
)

select
    *,
    reason_code is null as is_synced,
    reason_code is null and not is_from_portal as is_published
from final
