-- B8 drift: ticket types owned by iX-Haus (TT-…) that were edited inside casavi. The
-- plan overwrites them (iX-Haus is master); this model reports what was changed.
with

casavi_types as (
    select * from {{ ref('stg_casavi__ticket_types') }}
),

desired as (
    select * from {{ ref('desired_ticket_types') }}
),

final as (
    select
        casavi_types.id,
        casavi_types.name as portal_name,
        desired.name as ixhaus_name,
        casavi_types.category as portal_category,
        desired.category as ixhaus_category,
        casavi_types.description as portal_description,
        desired.description as ixhaus_description,
        casavi_types.modified_at as portal_modified_at,
        coalesce(casavi_types.modified_in_portal, false) as is_modified_in_portal,
        desired.id is not null as is_desired
    from casavi_types
    left join desired on casavi_types.id = desired.id
    where casavi_types.id like 'TT-%' and coalesce(casavi_types.modified_in_portal, false)
)

select * from final
