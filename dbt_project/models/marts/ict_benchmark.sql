{#-
    One row per municipality and fiscal year for which anything was delivered, as reported (the
    municipality as it was that year). The KPIs are computed in int_benchmark_kpis_computed; this
    mart adds names, the load status, and each headline KPI's quality, peer median (benchmark
    band), index, rank, year-on-year change and real-terms value.
-#}

-- depends_on: {{ ref('ict_categories') }}

with

kpis as (

    select * from {{ ref('int_benchmark_kpis_computed') }}
    where boundaries = 'as_reported'

),

parts as (

    select * from {{ ref('int_benchmark_parts_summed') }}

),

municipality_years as (

    select * from {{ ref('int_municipality_years_resolved') }}

),

positions as (

    {{ pivot_kpi_positions('as_reported') }}

)

select
    kpis.municipality_code,
    municipality_years.municipality_name,
    municipality_years.province_name,
    kpis.fiscal_year,
    kpis.inhabitants,
    kpis.size_band,
    kpis.size_class,
    kpis.peer_group,
    kpis.is_shared_service_municipality,
    kpis.shared_service_share,
    municipality_years.current_municipality_code,

    -- ledger
    kpis.ict_cost_total,
    kpis.ict_cost_per_inhabitant,
    {%- for category in ict_categories() %}
    kpis.cost_{{ category }},
    kpis.{{ category }}_per_inhabitant,
    {%- endfor %}
    kpis.total_expenditure,
    kpis.ict_cost_share_of_expenditure,
    kpis.personnel_share,
    kpis.hired_in_share_of_personnel,
    kpis.saas_share_of_software,
    kpis.unclassified_share,
    kpis.ict_cost_centre_spend,
    kpis.vat_basis,
    kpis.vat_removed,
    kpis.people_vs_technology_ratio,

    -- people
    kpis.fte,
    kpis.ict_cost_per_fte,
    kpis.training_hours_per_fte,
    kpis.training_spend_per_fte,
    kpis.share_employees_trained,
    kpis.ict_training_hours_share,

    -- hardware
    kpis.active_devices,
    kpis.active_workstations,
    kpis.ict_cost_per_workstation,
    kpis.average_device_age,
    kpis.share_past_cycle,
    kpis.replacement_spend_due_1_year,
    kpis.replacement_spend_due_3_years,
    kpis.replacement_spend_due_3_years_current_prices,
    kpis.replacement_current_prices_missing_reason,

    -- quality
    kpis.has_ledger,
    kpis.has_assets,
    kpis.has_training,
    kpis.inhabitants_missing_reason,
    kpis.unclassified_share_missing_reason,
    kpis.ledger_missing_reason,
    kpis.people_missing_reason,
    kpis.hardware_missing_reason,
    kpis.devices_without_purchase_date,
    kpis.devices_without_purchase_price,
    kpis.devices_of_unknown_kind,
    kpis.hardware_left_out_reason,
    kpis.courses_without_hours,
    kpis.courses_without_category,
    kpis.courses_of_unknown_category,
    kpis.training_left_out_reason,
    kpis.ict_ledger_lines,
    kpis.ledger_lines,
    parts.ledger_status,
    cast(parts.ledger_rows_quarantined as bigint) as ledger_rows_quarantined,
    parts.ledger_delivery_id,

    -- benchmark
    {{ kpi_benchmark_columns() }}

from kpis
left join parts
    on parts.municipality_code = kpis.municipality_code
    and parts.fiscal_year = kpis.fiscal_year
left join municipality_years
    on municipality_years.municipality_code = kpis.municipality_code
    and municipality_years.reference_year = kpis.fiscal_year
left join positions
    on positions.municipality_code = kpis.municipality_code
    and positions.fiscal_year = kpis.fiscal_year
