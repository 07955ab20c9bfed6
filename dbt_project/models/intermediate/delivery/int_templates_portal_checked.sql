-- E2: a template may go to the portal unless `portal_excluded` is set or its document
-- type is not released (`document_types`). `hint_template_de` is the exact hint shown
-- when excluded templates are chosen; `{template_ids}` is replaced by "1, 2, ...".
with

templates as (

    select * from {{ ref('stg_ixhaus__templates') }}

),

checked as (

    select
        template_id,
        name,
        document_type,
        coalesce(portal_excluded, false) as is_portal_excluded,
        coalesce(
            list_contains({{ string_list(var('document_types')) }}, document_type), false
        ) as is_document_type_released
    from templates

),

final as (

    select
        *,
        not is_portal_excluded and is_document_type_released as is_portal_allowed,
        'Die ausgewählten Vorlagen: {template_ids} können nicht über das Serviceportal '
        || 'übermittelt werden. Der Versand erfolgt per E-Mail.' as hint_template_de
    from checked

)

select * from final
