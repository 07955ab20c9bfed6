-- B12: trades are published with the audiences they are released for. Every trade is
-- published (also one released for nobody) so that tickets can reference it by tradeId.
with

trades as (
    select * from {{ ref('stg_ixhaus__trades') }}
),

final as (
    select
        trade_id,
        'TR-' || trade_id as casavi_id,
        name,
        list_filter(
            [
                case when release_tenant then 'RENTER' end,
                case when release_owner then 'OWNER' end,
                case when release_caretaker then 'CARETAKER' end
            ],
            lambda audience: audience is not null
        )::varchar[] as audiences
    from trades
)

select * from final
