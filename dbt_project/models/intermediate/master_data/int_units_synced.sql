-- B2: units of synced objects are synced.
with

units as (

    select * from {{ ref('stg_ixhaus__units') }}

),

objects as (

    select * from {{ ref('int_objects_synced') }}

),

joined as (

    select
        units.unit_id,
        units.object_id,
        units.unit_number,
        units.description,
        units.floor,
        objects.casavi_id as property_casavi_id,
        coalesce(objects.is_synced, false) as is_object_synced
    from units
    left join objects on units.object_id = objects.object_id

),

final as (

    select
        unit_id,
        'U-' || unit_id as casavi_id,
        object_id,
        property_casavi_id,
        unit_number,
        description,
        floor,
        is_object_synced,
        is_object_synced as is_synced,
        case when not is_object_synced then 'UNIT_OBJECT_NOT_SYNCED' end as reason_code
    from joined

)

select * from final
