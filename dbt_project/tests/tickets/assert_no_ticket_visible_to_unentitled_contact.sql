-- F4: no contact sees a ticket (by casavi's visibility rules on the desired state)
-- that the iX-Haus rules do not entitle them to. Returns the offending (item, contact).
select
    item_id,
    ticket_casavi_id,
    contact_id
from {{ ref('ticket_portal_viewers') }}
where item_kind = 'ticket' and not is_entitled
