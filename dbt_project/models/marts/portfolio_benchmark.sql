{#-
    The other half of the question, one row per municipality and fiscal year as reported: the
    application landscape (how many applications for how many inhabitants and FTE, how much of it
    SaaS, what it costs, where it overlaps, what is phased out, how dependent on a few suppliers,
    and whether the register's licences reconcile with the ledger) and regie (FTE that direct ICT
    against FTE that run it), each headline figure with its quality, peer median (benchmark band),
    index, rank and year-on-year change.
-#}

with

kpis as (

    select * from {{ ref('int_benchmark_kpis_computed') }}
    where boundaries = 'as_reported'

),

municipality_years as (

    select * from {{ ref('int_municipality_years_resolved') }}

),

positions as (

    {{ pivot_kpi_positions('as_reported', 'portfolio_benchmark') }}

)

select
    kpis.municipality_code,
    municipality_years.municipality_name,
    kpis.fiscal_year,
    kpis.inhabitants,
    kpis.size_band,
    kpis.fte,

    -- application portfolio
    kpis.has_applications,
    kpis.applications_listed,
    kpis.applications_in_use,
    kpis.applications_planned,
    kpis.applications_phasing_out,
    kpis.applications_phased_out,
    kpis.saas_applications,
    kpis.licence_cost_in_use,
    kpis.applications_per_10k_inhabitants,
    kpis.applications_per_100_fte,
    kpis.saas_share_of_applications,
    kpis.saas_share_of_licence_cost,
    kpis.licence_cost_per_application,
    kpis.licence_cost_per_user,
    kpis.overlapping_components,
    kpis.applications_in_overlap,
    kpis.contracts_ended,
    kpis.top5_supplier_share,
    kpis.ledger_software_cost,
    kpis.licence_register_to_ledger_ratio,
    kpis.licence_reconciliation,
    cast({{ var('licence_reconciliation_tolerance') }} as double) as licence_reconciliation_tolerance,
    kpis.applications_with_unknown_component,
    kpis.applications_without_component,
    kpis.applications_without_cost,
    kpis.applications_without_hosting,
    kpis.portfolio_missing_reason,

    -- regie
    kpis.regie_fte,
    kpis.ict_operations_fte,
    kpis.regie_fte_per_1000_inhabitants,
    kpis.ict_operations_fte_per_1000_inhabitants,
    kpis.regie_to_operations_ratio,
    kpis.people_vs_technology_ratio,
    kpis.people_missing_reason,

    -- benchmark
    {{ kpi_benchmark_columns(mart='portfolio_benchmark') }}

from kpis
left join municipality_years
    on municipality_years.municipality_code = kpis.municipality_code
    and municipality_years.reference_year = kpis.fiscal_year
left join positions
    on positions.municipality_code = kpis.municipality_code
    and positions.fiscal_year = kpis.fiscal_year
