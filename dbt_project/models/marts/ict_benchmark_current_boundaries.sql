{#-
    The benchmark on today's municipal boundaries: one row per current municipality and fiscal
    year, the amounts and denominators of its predecessors added up before the ratios are taken.
    For a municipality that did not merge the figures equal ict_benchmark's. This is the series
    for trends across a merger (herindeling).
-#}

-- depends_on: {{ ref('ict_categories') }}

with

kpis as (

    select * from {{ ref('int_benchmark_kpis_computed') }}
    where boundaries = 'current'

),

current_municipalities as (

    select
        current_municipality_code as municipality_code,
        any_value(current_municipality_name) as municipality_name,
        max_by(province_name, reference_year) filter (where is_current) as province_name

    from {{ ref('int_municipality_years_resolved') }}
    group by current_municipality_code

),

positions as (

    {{ pivot_kpi_positions('current') }}

)

select
    kpis.municipality_code,
    current_municipalities.municipality_name,
    current_municipalities.province_name,
    kpis.fiscal_year,
    kpis.constituent_codes,
    kpis.municipalities_expected,
    kpis.municipalities_with_ledger,
    kpis.municipalities_with_assets,
    kpis.municipalities_with_training,
    kpis.inhabitants,
    kpis.size_band,
    kpis.size_class,
    kpis.peer_group,
    kpis.is_shared_service_municipality,
    kpis.shared_service_share,

    -- ledger
    kpis.ict_cost_total,
    kpis.ict_cost_per_inhabitant,
    {%- for category in ict_categories() %}
    kpis.cost_{{ category }},
    {%- endfor %}
    kpis.total_expenditure,
    kpis.ict_cost_share_of_expenditure,
    kpis.personnel_share,
    kpis.hired_in_share_of_personnel,
    kpis.saas_share_of_software,
    kpis.unclassified_share,
    kpis.vat_basis,
    kpis.vat_removed,
    kpis.people_vs_technology_ratio,

    -- people
    kpis.fte,
    kpis.ict_cost_per_fte,
    kpis.training_spend_per_fte,

    -- hardware
    kpis.active_devices,
    kpis.active_workstations,
    kpis.ict_cost_per_workstation,
    kpis.share_past_cycle,
    kpis.devices_without_purchase_date,
    kpis.devices_of_unknown_kind,
    kpis.hardware_left_out_reason,

    -- benchmark
    {{ kpi_benchmark_columns() }}

from kpis
left join current_municipalities
    on current_municipalities.municipality_code = kpis.municipality_code
left join positions
    on positions.municipality_code = kpis.municipality_code
    and positions.fiscal_year = kpis.fiscal_year
