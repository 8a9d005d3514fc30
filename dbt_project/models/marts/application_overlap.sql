{#-
    The rationalisation candidates: every GEMMA reference component that more than one
    application in use serves in a municipality's landscape on 31 December (as reported). Two
    rows of one application (two versions, two departments) are one application here.
-#}

with

applications as (

    select * from {{ ref('int_applications_classified') }}
    where is_in_use

),

components as (

    select * from {{ ref('gemma_reference_components') }}

),

served as (

    select
        municipality_code,
        fiscal_year,
        {{ unnest_array('components') }} as component_name,
        application_name,
        lower(trim(application_name)) as application_key,
        licence_cost

    from applications

)

select
    served.municipality_code,
    served.fiscal_year,
    served.component_name,
    components.domain as gemma_domain,
    cast(count(distinct served.application_key) as bigint) as applications_in_use,
    {{ ordered_string_agg('served.application_name', "'; '", 'served.application_name', distinct=true) }}
        as application_names,
    cast(sum(served.licence_cost) as decimal(18, 2)) as licence_cost

from served
left join components using (component_name)
group by served.municipality_code, served.fiscal_year, served.component_name, components.domain
having count(distinct served.application_key) > 1
