{#-
    The application-portfolio figures per series, municipality and fiscal year: as reported (each
    municipality as it was that year) and on current boundaries (the registers of today's
    municipality's predecessors taken together, so that an application two of them ran counts
    for each and a component both served is an overlap). Overlap and supplier dependence are not
    sums of the predecessors' figures: they are computed from the applications themselves.
    Counts are of applications in use (in use or being phased out on 31 December); an application
    without a licence cost, users or hosting is left out of the figures that need them.
-#}

with

applications as (

    select * from {{ ref('int_applications_classified') }}

),

municipality_years as (

    select * from {{ ref('int_municipality_years_resolved') }}

),

current_codes as (

    select distinct municipality_code, current_municipality_code
    from municipality_years

),

series as (

    select 'as_reported' as boundaries, municipality_code as benchmark_code, applications.*
    from applications

    union all

    select
        'current' as boundaries,
        coalesce(current_codes.current_municipality_code, applications.municipality_code)
            as benchmark_code,
        applications.*
    from applications
    -- joined on, not using: Spark moves a using key to the front of applications.*, and the
    -- union is by position
    left join current_codes on current_codes.municipality_code = applications.municipality_code

),

totals as (

    select
        boundaries,
        benchmark_code as municipality_code,
        fiscal_year,
        count(*) as applications_listed,
        count(*) filter (where is_in_use) as applications_in_use,
        count(*) filter (where lifecycle_status = 'planned') as applications_planned,
        count(*) filter (where lifecycle_status = 'phasing_out') as applications_phasing_out,
        count(*) filter (where lifecycle_status = 'phased_out') as applications_phased_out,
        count(*) filter (where is_contract_ended) as contracts_ended,
        count(*) filter (where is_in_use and hosting = 'saas') as saas_applications,
        count(*) filter (where is_in_use and hosting is not null) as applications_with_hosting,
        count(*) filter (where is_in_use and licence_cost is not null) as applications_with_cost,
        coalesce(sum(licence_cost) filter (where is_in_use), 0) as licence_cost_in_use,
        coalesce(sum(licence_cost) filter (where is_in_use and hosting = 'saas'), 0)
            as saas_licence_cost,
        coalesce(sum(licence_cost) filter (where is_in_use and hosting is not null), 0)
            as licence_cost_with_hosting,
        coalesce(sum(licence_cost) filter (where is_in_use and users > 0), 0)
            as licence_cost_with_users,
        coalesce(sum(users) filter (where is_in_use and licence_cost is not null and users > 0), 0)
            as users_with_cost,
        count(*) filter (where is_in_use and cardinality(unknown_components) > 0)
            as applications_with_unknown_component,
        count(*) filter (where is_in_use and cardinality(components) = 0 and cardinality(unknown_components) = 0)
            as applications_without_component,
        count(*) filter (where is_in_use and licence_cost is null) as applications_without_cost,
        count(*) filter (where is_in_use and hosting is null) as applications_without_hosting

    from series
    group by boundaries, benchmark_code, fiscal_year

),

served as (

    select
        boundaries,
        benchmark_code,
        fiscal_year,
        {{ unnest_array('components') }} as component_name,
        lower(trim(application_name)) as application_key

    from series
    where is_in_use

),

overlap_counts as (

    select
        boundaries,
        benchmark_code as municipality_code,
        fiscal_year,
        count(*) as overlapping_components,
        sum(applications) as applications_in_overlap

    from (
        select boundaries, benchmark_code, fiscal_year, component_name,
               count(distinct application_key) as applications
        from served
        group by all
        having count(distinct application_key) > 1
    )
    group by all

),

suppliers as (

    select
        boundaries,
        benchmark_code,
        fiscal_year,
        supplier_key,
        sum(licence_cost) as licence_cost

    from series
    where is_in_use and licence_cost is not null and supplier_key is not null
    group by all

),

top_suppliers as (

    select
        boundaries,
        benchmark_code as municipality_code,
        fiscal_year,
        sum(licence_cost) as top5_supplier_cost

    from (
        select *
        from suppliers
        qualify row_number() over (
            partition by boundaries, benchmark_code, fiscal_year
            order by licence_cost desc, supplier_key
        ) <= 5
    )
    group by all

)

select
    totals.*,
    coalesce(overlap_counts.overlapping_components, 0) as overlapping_components,
    coalesce(overlap_counts.applications_in_overlap, 0) as applications_in_overlap,
    coalesce(top_suppliers.top5_supplier_cost, 0) as top5_supplier_cost

from totals
left join overlap_counts using (boundaries, municipality_code, fiscal_year)
left join top_suppliers using (boundaries, municipality_code, fiscal_year)
