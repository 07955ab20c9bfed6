-- B8: casavi ticket types portal-sync wants (payload fields of casavi-api.md).
with

ticket_types as (
    select * from {{ ref('int_ticket_types_published') }}
),

final as (
    select
        casavi_id as id,
        name,
        category,
        description,
        audiences
    from ticket_types
    where is_synced
)

select * from final
