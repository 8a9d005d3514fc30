{#-
    Each application of a register with the GEMMA reference components it fulfils, matched to the
    seed by name (case, accents, spaces and punctuation ignored) or by GEMMA's id. A component the
    seed does not know is kept as delivered in unknown_components, never dropped. In use: the
    lifecycle status is in use or being phased out (it still runs on 31 December); planned and
    phased-out applications are listed but not counted as the landscape.
-#}

with

applications as (

    select * from {{ ref('stg_landing__applications') }}

),

components as (

    select * from {{ ref('gemma_reference_components') }}

),

named as (

    select
        application_line_id,
        {{ unnest_array('gemma_components') }} as component_text

    from applications

),

matched as (

    select
        named.application_line_id,
        named.component_text,
        components.component_name,
        components.domain

    from named
    left join components
        on {{ component_key('named.component_text') }} = {{ component_key('components.component_name') }}
        or lower(trim(named.component_text)) in (components.component_id, 'id-' || components.component_id)

),

per_application as (

    select
        application_line_id,
        array_distinct(array_agg(component_name) filter (where component_name is not null))
            as components,
        array_distinct(array_agg(domain) filter (where component_name is not null)) as domains,
        array_agg(component_text) filter (where component_name is null) as unknown_components

    from matched
    group by application_line_id

)

select
    applications.* except (gemma_components),
    coalesce(array_sort(per_application.components), {{ empty_array('varchar') }}) as components,
    coalesce(array_sort(per_application.domains), {{ empty_array('varchar') }}) as domains,
    coalesce(per_application.unknown_components, {{ empty_array('varchar') }}) as unknown_components,
    applications.lifecycle_status in ('in_use', 'phasing_out') as is_in_use,
    -- an application still running on 31 December whose contract ended before that day
    applications.lifecycle_status in ('in_use', 'phasing_out')
        and applications.contract_end_date < make_date(applications.fiscal_year, 12, 31)
        as is_contract_ended,
    -- the supplier as one name, whatever its capitals and spaces, for the supplier figures
    nullif(lower(trim({{ regexp_replace_all('applications.supplier', '\s+', ' ') }})), '') as supplier_key

from applications
left join per_application using (application_line_id)
