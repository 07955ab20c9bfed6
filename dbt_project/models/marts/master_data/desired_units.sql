-- B2: casavi units portal-sync wants: the units of synced objects.
with

units as (

    select * from {{ ref('int_units_synced') }}

),

final as (

    select
        casavi_id as id,
        property_casavi_id as "propertyId",
        unit_number as number,
        description as name,
        floor
    from units
    where is_synced

)

select * from final
