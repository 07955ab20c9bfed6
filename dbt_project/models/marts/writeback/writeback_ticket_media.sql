{{ config(tags=['writeback']) }}
-- C2: portal attachments to add as public media in iX-Haus; the content is fetched from
-- casavi at write time.
with

attachments as (
    select * from {{ ref('int_portal_attachments_returned') }}
),

final as (
    select
        portal_attachment_id,
        portal_ticket_id,
        ticket_id,
        file_name,
        mime_type,
        size_bytes,
        created_at
    from attachments
)

select * from final
