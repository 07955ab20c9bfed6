-- B1: an object is synced when its number is in `object_range` and its management has
-- not ended. `management_end_date` is the last managed day: on that day it is reached,
-- so the object (and everything that belongs to it) leaves the portal that day.
with

objects as (

    select * from {{ ref('stg_ixhaus__objects') }}

),

checked as (

    select
        *,
        {{ in_object_range('object_number') }} as is_in_object_range,
        coalesce(management_end_date <= {{ today() }}, false) as is_management_ended
    from objects

),

reasoned as (

    select
        *,
        case
            when not is_in_object_range then 'OBJECT_NOT_IN_RANGE'
            when is_management_ended then 'OBJECT_MANAGEMENT_ENDED'
        end as reason_code
    from checked

),

final as (

    select
        object_id,
        object_number,
        'O-' || object_number as casavi_id,
        name,
        street,
        postal_code,
        city,
        country,
        management_end_date,
        is_in_object_range,
        is_management_ended,
        reason_code is null as is_synced,
        reason_code
    from reasoned

)

select * from final
