-- B14: casavi ticket attachments portal-sync wants (payload fields) plus the columns the
-- publisher needs to fetch the file (file_source, file_key).
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
        media_id::varchar as file_key
    from media
    where is_published
)

select * from final
