-- B14: casavi ticket attachments portal-sync wants (payload fields) plus the columns the
-- publisher needs for the file (file_source, file_key, file_name, content_type).
with

media as (
    select * from {{ ref('int_ticket_media_eligible') }}
),

final as (
    select
        casavi_id as id,
        ticket_casavi_id as "ticketId",
        file_name as "fileName",
        mime_type as "contentType",
        'ixhaus_media' as file_source,
        media_id::varchar as file_key,
        file_name,
        mime_type as content_type
    from media
    where is_published
)

select * from final
