-- E1/E3: the delivery route of every serial letter: the person's route for a template
-- that may go to the portal, or for one that may not (E2). Unknown persons get LETTER.
with

letters as (

    select * from {{ ref('stg_ixhaus__serial_letters') }}

),

templates as (

    select * from {{ ref('int_templates_portal_checked') }}

),

person_routes as (

    select * from {{ ref('int_persons_delivery_routed') }}

),

final as (

    select
        letters.letter_id,
        letters.template_id,
        letters.person_id,
        letters.document_id,
        letters.created_at,
        coalesce(templates.is_portal_allowed, false) as is_template_portal_allowed,
        coalesce(person_routes.is_portal_user, false) as is_portal_user,
        person_routes.effective_contact_preference,
        coalesce(
            case
                when templates.is_portal_allowed then person_routes.route_if_portal_allowed
                else person_routes.route_if_portal_excluded
            end,
            'LETTER'
        ) as delivery_route,
        letters.delivery_route as ixhaus_delivery_route
    from letters
    left join templates on letters.template_id = templates.template_id
    left join person_routes on letters.person_id = person_routes.person_id

)

select * from final
