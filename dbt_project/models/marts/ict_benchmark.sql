{#-
    One row per municipality and fiscal year with a landed ledger. Amounts are what the ledger says
    (debit positive, credit notes reduce them); a ratio whose denominator is unknown or zero is NULL,
    and the *_missing_reason columns say why.
-#}

{%- set categories = ['own_personnel', 'hired_personnel', 'software_licences', 'saas_cloud',
                      'workplace_hardware', 'infrastructure_hardware', 'telecom',
                      'outsourcing_hosting', 'training', 'other', 'unclassified'] -%}

with

ledger_lines as (

    select * from {{ ref('int_ledger_lines_classified') }}

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

joined as (

    select
        spend.*,
        municipalities.municipality_name,
        municipalities.province_name,
        inhabitants.inhabitants,
        load_results.status as ledger_status,
        load_results.rows_quarantined as ledger_rows_quarantined

    from spend
    left join municipalities
        on municipalities.municipality_code = spend.municipality_code
    left join inhabitants
        on inhabitants.municipality_code = spend.municipality_code
        and inhabitants.reference_year = spend.fiscal_year
    left join load_results
        on load_results.municipality_code = spend.municipality_code
        and load_results.fiscal_year = spend.fiscal_year

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
    case when inhabitants is null then 'no CBS inhabitant count for 1 January of this year' end
        as inhabitants_missing_reason,
    case when ict_cost_centre_spend = 0 then 'the mapping marks no ICT cost centre with spend' end
        as unclassified_share_missing_reason,
    cast(ict_ledger_lines as bigint) as ict_ledger_lines,
    cast(ledger_lines as bigint) as ledger_lines,
    ledger_status,
    cast(ledger_rows_quarantined as bigint) as ledger_rows_quarantined,
    ledger_delivery_id

from joined
