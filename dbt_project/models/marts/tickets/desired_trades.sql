-- B12: casavi trades portal-sync wants (payload fields of casavi-api.md).
with

trades as (
    select * from {{ ref('int_trades_published') }}
),

final as (
    select
        casavi_id as id,
        name,
        audiences
    from trades
)

select * from final
