-- B10: a ticket whose type is a Hausmitteilung is a post on the object's bulletin board
-- for the released audiences until the ticket is closed or cancelled.
with

tickets as (
    select * from {{ ref('int_tickets_eligible') }}
),

final as (
    select
        casavi_id as id,
        property_casavi_id as "propertyId",
        title,
        coalesce(description, title) as content,
        audiences,
        is_notify_unregistered as "notifyUnregisteredContacts"
    from tickets
    where is_synced and casavi_collection = 'posts'
)

select * from final
