{{ config(materialized='view') }}
-- D3: every object, unit, person, document, ticket, note, media file and portal ticket
-- that is not synced, with its reason. "Why is person 4711 not in the portal?":
--   select * from marts.why_not_synced where entity_kind = 'person' and entity_id = '4711'
-- A view over entity_sync_status (cheap to build, filtered when queried).
with

status as (

    select * from {{ ref('entity_sync_status') }}

),

final as (

    select
        entity_kind,
        entity_id,
        entity_label,
        reason_code,
        reason_text_de,
        reason_text_en,
        rule_model
    from status
    where not is_synced

)

select * from final
