-- B3/B4: every role of a person in an object (tenancy → RENTER, ownership → OWNER,
-- caretaker → CARETAKER) with its account window: it opens `days_before_move_in` days
-- before the start and closes `days_after_move_out` days after the end (both days
-- included). Owners and caretakers use the same window on their start/end dates.
with

tenancies as (

    select * from {{ ref('stg_ixhaus__tenancies') }}

),

ownerships as (

    select * from {{ ref('stg_ixhaus__ownerships') }}

),

caretakers as (

    select * from {{ ref('stg_ixhaus__caretakers') }}

),

units as (

    select * from {{ ref('stg_ixhaus__units') }}

),

objects as (

    select * from {{ ref('int_objects_synced') }}

),

roles as (

    select
        'tenancy-' || tenancies.tenancy_id as role_id,
        'RENTER' as role,
        tenancies.person_id,
        units.object_id,
        tenancies.unit_id,
        tenancies.move_in_date as start_date,
        tenancies.move_out_date as end_date
    from tenancies
    left join units on tenancies.unit_id = units.unit_id

    union all

    select
        'ownership-' || ownership_id as role_id,
        'OWNER' as role,
        person_id,
        object_id,
        unit_id,
        start_date,
        end_date
    from ownerships

    union all

    select
        'caretaker-' || caretaker_id as role_id,
        'CARETAKER' as role,
        person_id,
        object_id,
        cast(null as bigint) as unit_id,
        start_date,
        end_date
    from caretakers

),

windowed as (

    select
        roles.*,
        objects.casavi_id as property_casavi_id,
        coalesce(objects.is_synced, false) as is_object_synced,
        roles.start_date is not null
        and (roles.end_date is null or roles.end_date >= roles.start_date) as has_valid_dates,
        roles.start_date - {{ var('days_before_move_in') | int }} as window_start_date,
        roles.end_date + {{ var('days_after_move_out') | int }} as window_end_date
    from roles
    left join objects on roles.object_id = objects.object_id

),

final as (

    select
        role_id,
        role,
        person_id,
        object_id,
        property_casavi_id,
        unit_id,
        case when unit_id is not null then 'U-' || unit_id end as unit_casavi_id,
        start_date,
        end_date,
        window_start_date,
        window_end_date,
        is_object_synced,
        has_valid_dates,
        coalesce(
            start_date <= {{ today() }} and (end_date is null or end_date >= {{ today() }}),
            false
        ) as is_current,
        coalesce(window_start_date > {{ today() }}, false) as is_window_ahead,
        coalesce(window_end_date < {{ today() }}, false) as is_window_passed,
        coalesce(
            is_object_synced
            and has_valid_dates
            and window_start_date <= {{ today() }}
            and (window_end_date is null or window_end_date >= {{ today() }}),
            false
        ) as is_account_open
    from windowed

)

select * from final
