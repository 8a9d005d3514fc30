{#-
    Every KPI in two series: as reported (each municipality as it was that year) and on current
    boundaries (the predecessors of today's municipality added up, parts first: amounts and
    denominators are summed before any ratio is taken, never an average of ratios). A figure whose
    source was not delivered or whose denominator is unknown or zero is NULL with a reason; each
    headline KPI gets a quality flag: missing (NULL), partial (a source not fully accepted, not
    delivered by every municipality within the boundaries, or too much unclassified spend) or
    complete. Only complete figures enter the peer statistics.
-#}

{%- set additive = [] -%}
{%- for category in ict_categories() %}{% do additive.append('cost_' ~ category) %}{% endfor -%}
{%- set additive = additive + [
    'ict_cost_total', 'ict_cost_centre_spend', 'vat_removed', 'ict_ledger_lines', 'ledger_lines',
    'total_expenditure', 'accounts_without_type',
    'active_devices', 'active_workstations', 'active_device_age_years', 'devices_past_cycle',
    'replacement_spend_due_1_year', 'replacement_spend_due_3_years',
    'replacement_spend_due_3_years_current_prices', 'due_devices_without_price_index',
    'dated_active_devices', 'devices_without_purchase_date', 'devices_without_purchase_price',
    'devices_of_unknown_kind',
    'fte', 'employees', 'employees_trained', 'training_hours', 'ict_training_hours',
    'training_spend', 'courses', 'categorised_training_hours', 'courses_without_hours',
    'courses_without_category', 'courses_of_unknown_category',
    'regie_fte', 'ict_operations_fte', 'employees_with_role'] -%}
{%- set sources = ['ledger', 'assets', 'training', 'applications'] -%}

-- depends_on: {{ ref('ict_categories') }}

with

parts as (

    select * from {{ ref('int_benchmark_parts_summed') }}

),

municipality_years as (

    select * from {{ ref('int_municipality_years_resolved') }}

),

-- not additive (overlap, supplier dependence): computed per series from the applications
portfolios as (

    select * from {{ ref('int_application_portfolio_summed') }}

),

current_codes as (

    select distinct municipality_code, current_municipality_code
    from municipality_years

),

constituents as (

    select
        current_municipality_code,
        reference_year,
        count(*) as municipalities_expected

    from municipality_years
    group by current_municipality_code, reference_year

),

as_reported as (

    select
        'as_reported' as boundaries,
        municipality_code,
        fiscal_year,
        municipality_code as constituent_codes,
        1 as municipalities_expected,
        {%- for source in sources %}
        cast(has_{{ source }} as integer) as municipalities_with_{{ source }},
        has_{{ source }},
        {{ source }}_partial_reason,
        {%- endfor %}
        inhabitants,
        {{ additive | join(',\n        ') }}

    from parts

),

summed as (

    select
        coalesce(current_codes.current_municipality_code, parts.municipality_code)
            as municipality_code,
        parts.fiscal_year,
        {{ ordered_string_agg('parts.municipality_code', "', '", 'parts.municipality_code') }}
            as constituent_codes,
        count(*) as municipalities_delivering,
        {%- for source in sources %}
        count(*) filter (where parts.has_{{ source }}) as municipalities_with_{{ source }},
        bool_or(parts.has_{{ source }}) as has_{{ source }},
        {{ ordered_string_agg("parts.municipality_code || ': ' || parts." ~ source ~ "_partial_reason",
                              "'; '", 'parts.municipality_code') }} as {{ source }}_partial_reason,
        {%- endfor %}
        -- one predecessor without a CBS count makes the total unknown, not smaller
        case when count(parts.inhabitants) = count(*) then sum(parts.inhabitants) end
            as inhabitants,
        {%- for part in additive %}
        sum(parts.{{ part }}) as {{ part }}{{ ',' if not loop.last }}
        {%- endfor %}

    from parts
    left join current_codes
        on current_codes.municipality_code = parts.municipality_code
    group by 1, 2

),

current_boundaries as (

    select
        'current' as boundaries,
        summed.municipality_code,
        summed.fiscal_year,
        summed.constituent_codes,
        greatest(coalesce(constituents.municipalities_expected, 0), summed.municipalities_delivering)
            as municipalities_expected,
        {%- for source in sources %}
        summed.municipalities_with_{{ source }},
        summed.has_{{ source }},
        summed.{{ source }}_partial_reason,
        {%- endfor %}
        summed.inhabitants,
        {%- for part in additive %}
        summed.{{ part }}{{ ',' if not loop.last }}
        {%- endfor %}

    from summed
    left join constituents
        on constituents.current_municipality_code = summed.municipality_code
        and constituents.reference_year = summed.fiscal_year

),

unioned as (

    -- the two series list their columns in the same order
    select * from as_reported
    union all
    select * from current_boundaries

),

kpis as (

    select
        boundaries,
        municipality_code,
        fiscal_year,
        constituent_codes,
        cast(municipalities_expected as integer) as municipalities_expected,
        {%- for source in sources %}
        cast(municipalities_with_{{ source }} as integer) as municipalities_with_{{ source }},
        {%- endfor %}
        cast(inhabitants as bigint) as inhabitants,
        {{ size_label('inhabitants', benchmark_bands()) }} as size_band,
        {{ size_label('inhabitants', cbs_size_classes()) }} as size_class,
        -- ICT run by a joint arrangement arrives as one contribution: such a municipality is
        -- compared with its own kind, or its split would distort its size band's medians
        cast(cast(cost_shared_service_contribution as double) / nullif(ict_cost_total, 0) as double)
            as shared_service_share,
        coalesce(
            cast(cost_shared_service_contribution as double) / nullif(ict_cost_total, 0)
                > {{ var('shared_service_threshold') }},
            false
        ) as is_shared_service_municipality,
        case
            when cast(cost_shared_service_contribution as double) / nullif(ict_cost_total, 0)
                > {{ var('shared_service_threshold') }} then 'shared_service'
            else {{ size_label('inhabitants', benchmark_bands()) }}
        end as peer_group,

        -- ledger (a ratio of amounts is taken in double: DuckDB divides decimals so, Spark would
        -- round the quotient to 6 decimals)
        cast(ict_cost_total as decimal(18, 2)) as ict_cost_total,
        cast(ict_cost_total / inhabitants as decimal(18, 2)) as ict_cost_per_inhabitant,
        {%- for category in ict_categories() %}
        cast(cost_{{ category }} as decimal(18, 2)) as cost_{{ category }},
        cast(cost_{{ category }} / inhabitants as decimal(18, 2)) as {{ category }}_per_inhabitant,
        {%- endfor %}
        cast(cast(cost_own_personnel + cost_hired_personnel as double) / nullif(ict_cost_total, 0) as double)
            as personnel_share,
        cast(cast(cost_hired_personnel as double) / nullif(cost_own_personnel + cost_hired_personnel, 0) as double)
            as hired_in_share_of_personnel,
        cast(cast(cost_saas_cloud as double) / nullif(cost_software_licences + cost_saas_cloud, 0) as double)
            as saas_share_of_software,
        cast(cast(cost_unclassified as double) / nullif(ict_cost_centre_spend, 0) as double) as unclassified_share,
        cast(ict_cost_centre_spend as decimal(18, 2)) as ict_cost_centre_spend,
        case when has_ledger then 'excluding compensable VAT' end as vat_basis,
        cast(case when accounts_without_type = 0 then total_expenditure end as decimal(18, 2))
            as total_expenditure,
        cast(
            case when accounts_without_type = 0 then cast(ict_cost_total as double) / nullif(total_expenditure, 0) end
            as double
        ) as ict_cost_share_of_expenditure,
        cast(vat_removed as decimal(18, 2)) as vat_removed,
        -- people versus technology, by the seed's category_group (docs/methodology.md): own and
        -- hired staff and all training against every technology category
        cast(cast({{ group_cost('people') }} as double) / nullif({{ group_cost('technology') }}, 0) as double)
            as people_vs_technology_ratio,

        -- people
        cast(fte as double) as fte,
        cast(ict_cost_total / nullif(fte, 0) as decimal(18, 2)) as ict_cost_per_fte,
        cast(training_hours / nullif(fte, 0) as double) as training_hours_per_fte,
        cast(training_spend / nullif(fte, 0) as decimal(18, 2)) as training_spend_per_fte,
        cast(employees_trained / nullif(employees, 0) as double) as share_employees_trained,
        cast(ict_training_hours / nullif(categorised_training_hours, 0) as double)
            as ict_training_hours_share,

        -- application portfolio (counts of applications in use on 31 December)
        cast(applications_listed as bigint) as applications_listed,
        cast(applications_in_use as bigint) as applications_in_use,
        cast(applications_planned as bigint) as applications_planned,
        cast(applications_phased_out as bigint) as applications_phased_out,
        cast(saas_applications as bigint) as saas_applications,
        cast(licence_cost_in_use as decimal(18, 2)) as licence_cost_in_use,
        cast(applications_in_use * 10000 / inhabitants as double)
            as applications_per_10k_inhabitants,
        cast(applications_in_use * 100 / nullif(fte, 0) as double) as applications_per_100_fte,
        cast(saas_applications / nullif(applications_with_hosting, 0) as double)
            as saas_share_of_applications,
        cast(cast(saas_licence_cost as double) / nullif(licence_cost_with_hosting, 0) as double)
            as saas_share_of_licence_cost,
        cast(licence_cost_in_use / nullif(applications_with_cost, 0) as decimal(18, 2))
            as licence_cost_per_application,
        cast(licence_cost_with_users / nullif(users_with_cost, 0) as decimal(18, 2))
            as licence_cost_per_user,
        cast(overlapping_components as bigint) as overlapping_components,
        cast(applications_in_overlap as bigint) as applications_in_overlap,
        cast(applications_phasing_out as bigint) as applications_phasing_out,
        cast(contracts_ended as bigint) as contracts_ended,
        cast(cast(top5_supplier_cost as double) / nullif(licence_cost_in_use, 0) as double) as top5_supplier_share,
        -- the register's licences against the ledger's software licences and SaaS
        cast(cost_software_licences + cost_saas_cloud as decimal(18, 2)) as ledger_software_cost,
        cast(
            cast(nullif(licence_cost_in_use, 0) as double) / nullif(cost_software_licences + cost_saas_cloud, 0)
            as double
        ) as licence_register_to_ledger_ratio,
        case
            when not has_applications or not has_ledger then null
            when nullif(licence_cost_in_use, 0) is null
                or nullif(cost_software_licences + cost_saas_cloud, 0) is null then 'not_comparable'
            when abs(cast(licence_cost_in_use as double) / (cost_software_licences + cost_saas_cloud) - 1)
                <= {{ var('licence_reconciliation_tolerance') }} then 'within_tolerance'
            when licence_cost_in_use > cost_software_licences + cost_saas_cloud
                then 'register_above_ledger'
            else 'register_below_ledger'
        end as licence_reconciliation,
        cast(applications_with_unknown_component as bigint) as applications_with_unknown_component,
        cast(applications_without_component as bigint) as applications_without_component,
        cast(applications_without_cost as bigint) as applications_without_cost,
        cast(applications_without_hosting as bigint) as applications_without_hosting,

        -- regie: FTE that direct ICT against FTE that run it
        cast(regie_fte as double) as regie_fte,
        cast(ict_operations_fte as double) as ict_operations_fte,
        cast(case when employees_with_role > 0 then regie_fte * 1000 / inhabitants end as double)
            as regie_fte_per_1000_inhabitants,
        cast(
            case when employees_with_role > 0 then ict_operations_fte * 1000 / inhabitants end
            as double
        ) as ict_operations_fte_per_1000_inhabitants,
        cast(regie_fte / nullif(ict_operations_fte, 0) as double) as regie_to_operations_ratio,

        -- hardware
        cast(active_devices as bigint) as active_devices,
        cast(active_workstations as bigint) as active_workstations,
        cast(ict_cost_total / nullif(active_workstations, 0) as decimal(18, 2))
            as ict_cost_per_workstation,
        -- a device without a usable purchase date has no age: it is left out of age and cycle
        cast(cast(active_device_age_years as double) / nullif(dated_active_devices, 0) as double)
            as average_device_age,
        cast(devices_past_cycle / nullif(dated_active_devices, 0) as double) as share_past_cycle,
        cast(replacement_spend_due_1_year as decimal(18, 2)) as replacement_spend_due_1_year,
        cast(replacement_spend_due_3_years as decimal(18, 2)) as replacement_spend_due_3_years,
        cast(
            case when due_devices_without_price_index = 0
                then replacement_spend_due_3_years_current_prices end
            as decimal(18, 2)
        ) as replacement_spend_due_3_years_current_prices,
        case
            when not has_assets then 'no asset register delivered for this year'
            when due_devices_without_price_index > 0 then {% call format_text() %}
                '{} devices due within 3 years were bought in a year without a CBS price index',
                due_devices_without_price_index{% endcall %}
            when replacement_spend_due_3_years_current_prices is null
                then 'no CBS price index for the fiscal year'
        end as replacement_current_prices_missing_reason,

        -- quality
        has_ledger,
        has_assets,
        has_training,
        has_applications,
        {%- for source in sources %}
        {{ source }}_partial_reason,
        {%- endfor %}
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
        case
            when not has_applications then 'no application portfolio delivered for this year'
        end as portfolio_missing_reason,
        cast(ict_ledger_lines as bigint) as ict_ledger_lines,
        cast(ledger_lines as bigint) as ledger_lines,

        -- what the figures left out, and why (the rows themselves: fct_hardware_asset.gaps and
        -- the quarantine, where they are listed as landed)
        cast(devices_without_purchase_date as bigint) as devices_without_purchase_date,
        cast(devices_without_purchase_price as bigint) as devices_without_purchase_price,
        cast(devices_of_unknown_kind as bigint) as devices_of_unknown_kind,
        cast(courses_without_hours as bigint) as courses_without_hours,
        cast(courses_without_category as bigint) as courses_without_category,
        cast(courses_of_unknown_category as bigint) as courses_of_unknown_category,
        nullif(concat_ws('; ',
            case when devices_without_purchase_date > 0 then {% call format_text() %}
                '{} of {} devices in use have no usable purchase date: left out of the age, '
                || 'the share past the cycle and the replacement spend',
                devices_without_purchase_date, active_devices{% endcall %} end,
            case when devices_without_purchase_price > 0 then {% call format_text() %}
                '{} devices in use have no usable purchase price: left out of the replacement spend',
                devices_without_purchase_price{% endcall %} end,
            case when devices_of_unknown_kind > 0 then {% call format_text() %}
                '{} devices in use are of a kind the register names in words the benchmark does '
                || 'not know: counted as other, not as workstations',
                devices_of_unknown_kind{% endcall %} end
        ), '') as hardware_left_out_reason,
        nullif(concat_ws('; ',
            case when courses_without_hours > 0 then {% call format_text() %}
                '{} of {} courses have no usable hours: left out of the training hours',
                courses_without_hours, courses{% endcall %} end,
            case when courses_without_category > 0 then {% call format_text() %}
                '{} courses have no usable category: left out of the ICT share of the hours',
                courses_without_category{% endcall %} end,
            case when courses_of_unknown_category > 0 then {% call format_text() %}
                '{} courses have a category the benchmark does not know: counted as not ICT',
                courses_of_unknown_category{% endcall %} end
        ), '') as training_left_out_reason

    from unioned
    left join portfolios using (boundaries, municipality_code, fiscal_year)

),

{%- set missing_reason = {
    'ledger': 'ledger_missing_reason',
    'inhabitants': "case when inhabitants is null then 'no CBS inhabitant count for 1 January of this year' end",
    'training': 'people_missing_reason',
    'assets': 'hardware_missing_reason',
    'applications': 'portfolio_missing_reason'} %}
{%- set source_label = {'ledger': 'a ledger', 'assets': 'an asset register', 'training': 'HR training records',
                        'applications': 'an application portfolio'} %}

qualified as (

    select
        *,
        {%- for kpi in headline_kpis() %}
        case
            when {{ kpi.name }} is null then coalesce(
                {%- for source in kpi.sources %}
                {{ missing_reason[source] }},
                {%- endfor %}
                '{{ kpi.zero_reason }}'
            )
            {%- for source in kpi.sources if source != 'inhabitants' %}
            when municipalities_with_{{ source }} < municipalities_expected then {% call format_text() %}
                '{} of {} municipalities within the current boundaries delivered {}',
                municipalities_with_{{ source }}, municipalities_expected, '{{ source_label[source] }}'
            {% endcall %}
            when {{ source }}_partial_reason is not null then {{ source }}_partial_reason
            {%- endfor %}
            {%- if 'ledger' in kpi.sources %}
            when unclassified_share > {{ var('max_unclassified_share') }} then {% call format_text() %}
                '{}% of the spend in ICT cost centres is unclassified (more than {}%)',
                round(100 * unclassified_share, 1), {{ var('max_unclassified_share') * 100 }}
            {% endcall %}
            {%- endif %}
        end as {{ kpi.name }}_quality_reason{{ ',' if not loop.last }}
        {%- endfor %}

    from kpis

)

select
    * except ({% for source in sources %}{{ source }}_partial_reason{{ ', ' if not loop.last }}{% endfor %}),
    {%- for kpi in headline_kpis() %}
    case
        when {{ kpi.name }} is null then 'missing'
        when {{ kpi.name }}_quality_reason is not null then 'partial'
        else 'complete'
    end as {{ kpi.name }}_quality{{ ',' if not loop.last }}
    {%- endfor %}

from qualified
