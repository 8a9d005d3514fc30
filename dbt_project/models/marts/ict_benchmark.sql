{#-
    One row per municipality and fiscal year for which anything was delivered. Amounts are what the
    ledger says (debit positive, credit notes reduce them). A figure whose source was not delivered
    or whose denominator is unknown or zero is NULL, and a *_missing_reason column says why.
-#}

{%- set categories = ['own_personnel', 'hired_personnel', 'software_licences', 'saas_cloud',
                      'workplace_hardware', 'infrastructure_hardware', 'telecom',
                      'outsourcing_hosting', 'training', 'other', 'unclassified'] -%}

with

ledger_lines as (

    select * from {{ ref('int_ledger_lines_classified') }}

),

assets as (

    select * from {{ ref('int_assets_aged') }}

),

employees as (

    select * from {{ ref('int_training_employees') }}

),

municipalities as (

    select * from {{ ref('dim_municipality') }}

),

inhabitants as (

    select * from {{ ref('stg_landing__inhabitants') }}

),

load_results as (

    select * from {{ ref('stg_landing__load_results') }}
    where kind = 'ledger'

),

spend as (

    select
        municipality_code,
        fiscal_year,
        any_value(delivery_id) as ledger_delivery_id,
        {%- for category in categories %}
        coalesce(sum(amount) filter (where category = '{{ category }}'), 0) as cost_{{ category }},
        {%- endfor %}
        coalesce(sum(amount) filter (where is_ict), 0) as ict_cost_total,
        coalesce(sum(amount) filter (where in_ict_cost_centre), 0) as ict_cost_centre_spend,
        count(*) filter (where is_ict) as ict_ledger_lines,
        count(*) as ledger_lines

    from ledger_lines
    group by municipality_code, fiscal_year

),

hardware as (

    select
        municipality_code,
        fiscal_year,
        count(*) filter (where is_active) as active_devices,
        count(*) filter (where is_active and is_workstation) as active_workstations,
        avg(age_years) filter (where is_active) as average_device_age,
        count(*) filter (where is_active and is_past_cycle) as devices_past_cycle,
        coalesce(sum(purchase_price) filter (where is_active and is_due_within_1_year), 0)
            as replacement_spend_due_1_year,
        coalesce(sum(purchase_price) filter (where is_active and is_due_within_3_years), 0)
            as replacement_spend_due_3_years

    from assets
    group by municipality_code, fiscal_year

),

people as (

    select
        municipality_code,
        fiscal_year,
        sum(fte) as fte,
        count(*) as employees,
        count(*) filter (where is_trained) as employees_trained,
        sum(training_hours) as training_hours,
        sum(ict_training_hours) as ict_training_hours,
        sum(training_cost) as training_spend

    from employees
    group by municipality_code, fiscal_year

),

municipality_years as (

    select municipality_code, fiscal_year from spend
    union
    select municipality_code, fiscal_year from hardware
    union
    select municipality_code, fiscal_year from people

),

joined as (

    select
        municipality_years.municipality_code,
        municipality_years.fiscal_year,
        spend.* exclude (municipality_code, fiscal_year),
        hardware.* exclude (municipality_code, fiscal_year),
        people.* exclude (municipality_code, fiscal_year),
        spend.municipality_code is not null as has_ledger,
        hardware.municipality_code is not null as has_assets,
        people.municipality_code is not null as has_training,
        municipalities.municipality_name,
        municipalities.province_name,
        inhabitants.inhabitants,
        load_results.status as ledger_status,
        load_results.rows_quarantined as ledger_rows_quarantined

    from municipality_years
    left join spend using (municipality_code, fiscal_year)
    left join hardware using (municipality_code, fiscal_year)
    left join people using (municipality_code, fiscal_year)
    left join municipalities
        on municipalities.municipality_code = municipality_years.municipality_code
    left join inhabitants
        on inhabitants.municipality_code = municipality_years.municipality_code
        and inhabitants.reference_year = municipality_years.fiscal_year
    left join load_results
        on load_results.municipality_code = municipality_years.municipality_code
        and load_results.fiscal_year = municipality_years.fiscal_year

)

select
    municipality_code,
    municipality_name,
    province_name,
    fiscal_year,
    cast(inhabitants as bigint) as inhabitants,
    case
        when inhabitants is null then null
        when inhabitants < 60000 then '<60k'
        when inhabitants < 100000 then '60k-100k'
        else '>=100k'
    end as size_band,

    -- ledger
    cast(ict_cost_total as decimal(18, 2)) as ict_cost_total,
    cast(ict_cost_total / inhabitants as decimal(18, 2)) as ict_cost_per_inhabitant,
    {%- for category in categories %}
    cast(cost_{{ category }} as decimal(18, 2)) as cost_{{ category }},
    cast(cost_{{ category }} / inhabitants as decimal(18, 2)) as {{ category }}_per_inhabitant,
    {%- endfor %}
    cast((cost_own_personnel + cost_hired_personnel) / nullif(ict_cost_total, 0) as double)
        as personnel_share,
    cast(cost_hired_personnel / nullif(cost_own_personnel + cost_hired_personnel, 0) as double)
        as hired_in_share_of_personnel,
    cast(cost_saas_cloud / nullif(cost_software_licences + cost_saas_cloud, 0) as double)
        as saas_share_of_software,
    cast(cost_unclassified / nullif(ict_cost_centre_spend, 0) as double) as unclassified_share,
    cast(ict_cost_centre_spend as decimal(18, 2)) as ict_cost_centre_spend,
    -- people versus technology: what goes to own ICT staff and training against hardware and software
    cast(
        (cost_own_personnel + cost_training)
        / nullif(cost_workplace_hardware + cost_infrastructure_hardware
                 + cost_software_licences + cost_saas_cloud, 0)
        as double
    ) as people_vs_technology_ratio,

    -- people
    cast(fte as double) as fte,
    cast(ict_cost_total / nullif(fte, 0) as decimal(18, 2)) as ict_cost_per_fte,
    cast(training_hours / nullif(fte, 0) as double) as training_hours_per_fte,
    cast(training_spend / nullif(fte, 0) as decimal(18, 2)) as training_spend_per_fte,
    cast(employees_trained / nullif(employees, 0) as double) as share_employees_trained,
    cast(ict_training_hours / nullif(training_hours, 0) as double) as ict_training_hours_share,

    -- hardware
    cast(active_devices as bigint) as active_devices,
    cast(active_workstations as bigint) as active_workstations,
    cast(ict_cost_total / nullif(active_workstations, 0) as decimal(18, 2))
        as ict_cost_per_workstation,
    cast(average_device_age as double) as average_device_age,
    cast(devices_past_cycle / nullif(active_devices, 0) as double) as share_past_cycle,
    cast(replacement_spend_due_1_year as decimal(18, 2)) as replacement_spend_due_1_year,
    cast(replacement_spend_due_3_years as decimal(18, 2)) as replacement_spend_due_3_years,

    -- quality
    has_ledger,
    has_assets,
    has_training,
    case
        when not has_ledger then 'no accepted ledger for this year'
        when inhabitants is null then 'no CBS inhabitant count for 1 January of this year'
    end as inhabitants_missing_reason,
    case
        when not has_ledger then 'no accepted ledger for this year'
        when ict_cost_centre_spend = 0 then 'the mapping marks no ICT cost centre with spend'
    end as unclassified_share_missing_reason,
    case
        when not has_ledger then 'no accepted ledger for this year'
    end as ledger_missing_reason,
    case
        when not has_training then 'no HR training records delivered for this year'
        when fte = 0 then 'the HR records give no FTE'
    end as people_missing_reason,
    case
        when not has_assets then 'no asset register delivered for this year'
        when active_devices = 0 then 'the asset register has no devices in use'
    end as hardware_missing_reason,
    cast(ict_ledger_lines as bigint) as ict_ledger_lines,
    cast(ledger_lines as bigint) as ledger_lines,
    ledger_status,
    cast(ledger_rows_quarantined as bigint) as ledger_rows_quarantined,
    ledger_delivery_id

from joined
