{{ config(tags=['writeback']) }}
-- E3: the delivery route chosen per serial letter (E1, E2), written to
-- serial_letters.delivery_route; only rows that differ.
with

routed as (
    select * from {{ ref('int_serial_letters_routed') }}
),

letters as (
    select * from {{ ref('stg_ixhaus__serial_letters') }}
),

final as (
    select
        routed.letter_id,
        routed.delivery_route
    from routed
    inner join letters on routed.letter_id = letters.letter_id
    where routed.delivery_route is distinct from letters.delivery_route
)

select * from final
