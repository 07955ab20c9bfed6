-- B3/B4: a person is synced when their type is released, their data is usable (a name;
-- roles whose end is not before their start) and at least one role in a synced object
-- has an open account window today. The first failing check is the reason.
with

persons as (

    select * from {{ ref('stg_ixhaus__persons') }}

),

roles as (

    select * from {{ ref('int_person_roles') }}

),

role_summary as (

    select
        person_id,
        count(*) filter (where is_object_synced) as roles_in_synced_objects,
        count(*) filter (where is_object_synced and has_valid_dates) as valid_roles_in_synced_objects,
        count(*) filter (where is_account_open) as open_roles,
        count(*) filter (
            where is_object_synced and has_valid_dates and is_window_ahead
        ) as upcoming_roles
    from roles
    group by person_id

),

checked as (

    select
        persons.*,
        coalesce(
            list_contains({{ string_list(var('person_types')) }}, persons.person_type), false
        ) as is_type_released,
        coalesce(
            nullif(trim(persons.last_name), '') is not null
            or nullif(trim(persons.company_name), '') is not null,
            false
        ) as has_name,
        coalesce(role_summary.roles_in_synced_objects, 0) as roles_in_synced_objects,
        coalesce(role_summary.valid_roles_in_synced_objects, 0) as valid_roles_in_synced_objects,
        coalesce(role_summary.open_roles, 0) as open_roles,
        coalesce(role_summary.upcoming_roles, 0) as upcoming_roles
    from persons
    left join role_summary on persons.person_id = role_summary.person_id

),

reasoned as (

    select
        *,
        case
            when not is_type_released then 'PERSON_TYPE_NOT_RELEASED'
            when not has_name then 'PERSON_INVALID_DATA'
            when roles_in_synced_objects = 0 then 'PERSON_NO_ROLE_IN_SYNCED_OBJECT'
            when valid_roles_in_synced_objects = 0 then 'PERSON_INVALID_DATA'
            when open_roles > 0 then null
            when upcoming_roles > 0 then 'PERSON_BEFORE_ACCOUNT_WINDOW'
            else 'PERSON_AFTER_ACCOUNT_WINDOW'
        end as reason_code
    from checked

),

final as (

    select
        person_id,
        'P-' || person_id as casavi_id,
        person_type,
        partner_id,
        salutation,
        title,
        first_name,
        last_name,
        company_name,
        email,
        phone,
        mobile,
        street,
        postal_code,
        city,
        country,
        contact_preference,
        is_type_released,
        has_name,
        roles_in_synced_objects,
        open_roles,
        upcoming_roles,
        reason_code is null as is_synced,
        reason_code
    from reasoned

)

select * from final
