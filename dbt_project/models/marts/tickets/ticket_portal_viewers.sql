-- F4: who sees each desired ticket, post, ticket message and attachment in casavi — by
-- casavi's visibility rules (spec/casavi-api.md) applied to the desired state — and
-- whether iX-Haus entitles that person to it (B9, B10, B13, B14, computed here from the
-- iX-Haus data, independently of the publishing rules). The privacy tests in
-- tests/tickets/ fail on any row with is_entitled false.
with

desired_contacts as (
    select * from {{ ref('desired_contacts') }}
),

desired_properties as (
    select * from {{ ref('desired_properties') }}
),

desired_tickets as (
    select * from {{ ref('desired_tickets') }}
),

desired_posts as (
    select * from {{ ref('desired_posts') }}
),

desired_messages as (
    select * from {{ ref('desired_ticket_messages') }}
),

desired_attachments as (
    select * from {{ ref('desired_ticket_attachments') }}
),

ixhaus_tickets as (
    select * from {{ ref('stg_ixhaus__tickets') }}
),

ticket_types as (
    select * from {{ ref('stg_ixhaus__ticket_types') }}
),

statuses as (
    select * from {{ ref('stg_ixhaus__ticket_statuses') }}
),

notes as (
    select * from {{ ref('stg_ixhaus__ticket_notes') }}
),

orders as (
    select * from {{ ref('stg_ixhaus__ticket_orders') }}
),

media as (
    select * from {{ ref('stg_ixhaus__ticket_media') }}
),

objects as (
    select * from {{ ref('int_objects_synced') }}
),

persons as (
    select * from {{ ref('int_persons_synced') }}
),

person_roles as (
    select * from {{ ref('int_person_roles') }}
),

-- casavi: a role in a property = a current contract there, or a responsibility
contracts as (
    select
        id as contact_id,
        unnest(contracts) as contract
    from desired_contacts
),

responsibilities as (
    select
        id as property_id,
        unnest(responsibilities) as responsibility
    from desired_properties
),

contact_roles as (
    -- `contract` is a struct column (sqlfluff reads `contract.x` as a table reference)
    select distinct
        contact_id,  -- noqa: RF03
        contract."propertyId" as property_id,  -- noqa: RF03
        contract.type as role
    from contracts
    where
        contract."startDate" <= {{ today() }}
        and (contract."endDate" is null or contract."endDate" >= {{ today() }})
    union
    select distinct
        responsibility."contactId" as contact_id,
        property_id,
        'CARETAKER' as role
    from responsibilities
),

ticket_viewers as (
    select
        id as ticket_casavi_id,
        "reporterContactId" as contact_id
    from desired_tickets
    where "reporterContactId" is not null
    union
    select
        desired_tickets.id as ticket_casavi_id,
        contact_roles.contact_id
    from desired_tickets
    inner join contact_roles
        on
            desired_tickets."propertyId" = contact_roles.property_id
            and list_contains(desired_tickets.visibility.audiences, contact_roles.role)  -- noqa: RF01
    where desired_tickets.visibility."propertyWide"  -- noqa: RF01
),

post_viewers as (
    select
        desired_posts.id as post_casavi_id,
        contact_roles.contact_id
    from desired_posts
    inner join contact_roles
        on
            desired_posts."propertyId" = contact_roles.property_id
            and list_contains(desired_posts.audiences, contact_roles.role)
),

-- iX-Haus: which person may see which ticket
typed_tickets as (
    select
        ixhaus_tickets.ticket_id,
        coalesce(ixhaus_tickets.portal_ticket_id, 'T-' || ixhaus_tickets.ticket_id) as ticket_casavi_id,
        'B-' || ixhaus_tickets.ticket_id as post_casavi_id,
        ixhaus_tickets.object_id,
        ixhaus_tickets.reporter_person_id,
        ixhaus_tickets.portal_ticket_id is not null as is_from_portal,
        coalesce(ticket_types.portal_object_ticket, false) as is_object_ticket,
        coalesce(ticket_types.portal_bulletin, false) as is_bulletin,
        coalesce(ticket_types.note_on_commission, false) as has_note_on_commission,
        coalesce(statuses.is_closed or statuses.is_cancelled, false) as is_closed_or_cancelled,
        ticket_types.release_tenant,
        ticket_types.release_owner,
        ticket_types.release_caretaker
    from ixhaus_tickets
    inner join ticket_types on ixhaus_tickets.ticket_type_id = ticket_types.ticket_type_id
    inner join objects on ixhaus_tickets.object_id = objects.object_id
    left join statuses on ixhaus_tickets.status_id = statuses.status_id
    where not coalesce(ticket_types.portal_locked, false) and objects.is_synced
),

released_roles as (
    select
        typed_tickets.*,
        person_roles.person_id,
        person_roles.is_current,
        person_roles.is_account_open
    from typed_tickets
    inner join person_roles
        on
            typed_tickets.object_id = person_roles.object_id
            and (
                (person_roles.role = 'RENTER' and typed_tickets.release_tenant)
                or (person_roles.role = 'OWNER' and typed_tickets.release_owner)
                or (person_roles.role = 'CARETAKER' and typed_tickets.release_caretaker)
            )
    inner join persons on person_roles.person_id = persons.person_id and persons.is_synced
),

ticket_entitled as (
    -- the reporter, while their account is open and their role is released
    select
        ticket_casavi_id,
        person_id
    from released_roles
    where
        not is_bulletin
        and person_id = reporter_person_id
        and is_account_open
    union
    -- the author of a ticket created in the portal
    select
        ticket_casavi_id,
        reporter_person_id as person_id
    from typed_tickets
    where is_from_portal and reporter_person_id is not null
    union
    -- Objektmeldung: everyone with a current released role in the object
    select
        ticket_casavi_id,
        person_id
    from released_roles
    where not is_bulletin and is_object_ticket and is_current and is_account_open
),

post_entitled as (
    select
        post_casavi_id,
        person_id
    from released_roles
    where is_bulletin and not is_closed_or_cancelled and is_current and is_account_open
),

-- ticket messages and attachments public in iX-Haus (portal-made ones are not checked)
public_items as (
    select
        'ticket_message' as item_kind,
        'N-' || notes.note_id as item_id,
        notes.ticket_id
    from notes
    where notes.is_public and notes.portal_message_id is null
    union all
    select
        'ticket_message' as item_kind,
        'ORD-' || orders.order_id as item_id,
        orders.ticket_id
    from orders
    inner join typed_tickets on orders.ticket_id = typed_tickets.ticket_id
    where typed_tickets.has_note_on_commission
    union all
    select
        'ticket_attachment' as item_kind,
        'M-' || media.media_id as item_id,
        media.ticket_id
    from media
    where media.is_public and media.portal_attachment_id is null
),

ticket_viewers_entitled as (
    select
        ticket_viewers.ticket_casavi_id,
        ticket_viewers.contact_id,
        ticket_entitled.person_id is not null as is_entitled
    from ticket_viewers
    left join ticket_entitled
        on
            ticket_viewers.ticket_casavi_id = ticket_entitled.ticket_casavi_id
            and ticket_viewers.contact_id = 'P-' || ticket_entitled.person_id
),

-- messages and attachments are seen by their ticket's viewers
ticket_items as (
    select
        'ticket_message' as item_kind,
        id as item_id,
        "ticketId" as ticket_casavi_id
    from desired_messages
    union all
    select
        'ticket_attachment' as item_kind,
        id as item_id,
        "ticketId" as ticket_casavi_id
    from desired_attachments
),

seen as (
    select
        'ticket' as item_kind,
        ticket_casavi_id as item_id,
        ticket_casavi_id,
        contact_id,
        is_entitled
    from ticket_viewers_entitled
    union all
    select
        'post' as item_kind,
        post_viewers.post_casavi_id as item_id,
        null as ticket_casavi_id,
        post_viewers.contact_id,
        post_entitled.person_id is not null as is_entitled
    from post_viewers
    left join post_entitled
        on
            post_viewers.post_casavi_id = post_entitled.post_casavi_id
            and post_viewers.contact_id = 'P-' || post_entitled.person_id
    union all
    select
        ticket_items.item_kind,
        ticket_items.item_id,
        ticket_items.ticket_casavi_id,
        ticket_viewers_entitled.contact_id,
        public_items.item_id is not null
        and ticket_viewers_entitled.is_entitled as is_entitled
    from ticket_items
    inner join ticket_viewers_entitled
        on ticket_items.ticket_casavi_id = ticket_viewers_entitled.ticket_casavi_id
    left join typed_tickets on ticket_items.ticket_casavi_id = typed_tickets.ticket_casavi_id
    left join public_items
        on
            ticket_items.item_kind = public_items.item_kind
            and ticket_items.item_id = public_items.item_id
            and typed_tickets.ticket_id = public_items.ticket_id
),

final as (
    select * from seen
)

select * from final
