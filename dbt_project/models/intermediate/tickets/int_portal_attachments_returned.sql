{{ config(tags=["writeback"]) }}
-- C2: attachments added by portal contacts (authorType CONTACT) on tickets that are in
-- iX-Haus or being imported in this run become public media in iX-Haus, once (keyed by
-- portal_attachment_id).
with

casavi_attachments as (
    select * from {{ ref('stg_casavi__ticket_attachments') }}
),

ixhaus_media as (
    select * from {{ ref('stg_ixhaus__ticket_media') }}
),

ticket_keys as (
    select * from {{ ref('int_portal_ticket_keys') }}
),

final as (
    select
        casavi_attachments.id as portal_attachment_id,
        casavi_attachments.ticket_id as portal_ticket_id,
        ticket_keys.ticket_id,
        ticket_keys.is_being_imported,
        casavi_attachments.file_name,
        casavi_attachments.content_type as mime_type,
        casavi_attachments.size as size_bytes,
        casavi_attachments.author_contact_id,
        casavi_attachments.created_at
    from casavi_attachments
    inner join ticket_keys on casavi_attachments.ticket_id = ticket_keys.portal_ticket_id
    left join ixhaus_media on casavi_attachments.id = ixhaus_media.portal_attachment_id
    where
        casavi_attachments.author_type = 'CONTACT'
        and ixhaus_media.media_id is null
)

select * from final
