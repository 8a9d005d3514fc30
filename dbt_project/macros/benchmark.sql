{#- The benchmark's vocabularies: categories, size classes and the headline KPIs. -#}

{#- The ICT cost categories in display order (of one category_group, if given), read from the seed that declares them while the
    calling model runs; a model that calls this declares the seed as a dependency
    (`-- depends_on:` its ref) so that dbt builds the seed first. Nothing at parse time. -#}
{% macro ict_categories(group=none) %}
    {%- if not execute %}{{ return([]) }}{% endif -%}
    {%- if model.resource_type == 'unit_test' -%}
        {#- there ref() names the test's input, a CTE that a query of its own cannot read: read
            the seed the build left in `main` (where dbt_project.yml puts every seed) -#}
        {%- set seed = api.Relation.create(target.get('database'), 'main', 'ict_categories') -%}
    {%- else -%}
        {%- set seed = ref('ict_categories') -%}
    {%- endif -%}
    {%- set query -%}
        select category from {{ seed }}
        {%- if group is not none %} where category_group = '{{ group }}'{% endif %}
        order by sort_order
    {%- endset -%}
    {{ return(run_query(query).columns[0].values() | list) }}
{% endmacro %}

{#- The cost of one category_group: the sum of its categories' cost_<category> columns. -#}
{% macro group_cost(group) -%}
    ({%- for category in ict_categories(group) %}coalesce(cost_{{ category }}, 0){{ ' + ' if not loop.last }}{% endfor %}
    {%- if not ict_categories(group) %}0{% endif %})
{%- endmacro %}

{#- CBS gemeentegrootteklassen: (label, upper bound exclusive); the last class is open. -#}
{% macro cbs_size_classes() %}
    {{ return([('<5k', 5000), ('5k-10k', 10000), ('10k-20k', 20000), ('20k-50k', 50000),
               ('50k-100k', 100000), ('100k-150k', 150000), ('150k-250k', 250000),
               ('>=250k', none)]) }}
{% endmacro %}

{#- The benchmark's three peer bands (ict_benchmark.size_band). -#}
{% macro benchmark_bands() %}
    {{ return([('<60k', 60000), ('60k-100k', 100000), ('>=100k', none)]) }}
{% endmacro %}

{% macro size_label(inhabitants, classes) -%}
    case
        when {{ inhabitants }} is null then null
        {%- for label, upper in classes %}
        {%- if upper is none %}
        else '{{ label }}'
        {%- else %}
        when {{ inhabitants }} < {{ upper }} then '{{ label }}'
        {%- endif %}
        {%- endfor %}
    end
{%- endmacro %}

{% macro size_label_order(label, classes) -%}
    case {{ label }}
        {%- for class in classes %}
        when '{{ class[0] }}' then {{ loop.index }}
        {%- endfor %}
    end
{%- endmacro %}

{#-
    The headline KPIs that get peer statistics, an index, a rank, a year-on-year change and a
    quality flag. sources: what must be delivered (and fully accepted) for a complete figure;
    monetary: in euro, so it also gets a real-terms value; zero_reason: why the figure is NULL when
    every source is there but the denominator is zero; mart: the mart whose row carries its
    benchmark columns (ict_benchmark, or portfolio_benchmark for the application portfolio and
    regie). mart=none: all of them.
-#}
{% macro headline_kpis(mart=none) %}
    {%- set kpis = [
        {'name': 'ict_cost_per_inhabitant', 'sources': ['ledger', 'inhabitants'], 'monetary': true,
         'zero_reason': 'no CBS inhabitant count for 1 January of this year'},
        {'name': 'ict_cost_per_fte', 'sources': ['ledger', 'training'], 'monetary': true,
         'zero_reason': 'the HR records give no FTE'},
        {'name': 'ict_cost_per_workstation', 'sources': ['ledger', 'assets'], 'monetary': true,
         'zero_reason': 'the asset register has no workstations in use'},
        {'name': 'ict_cost_share_of_expenditure', 'sources': ['ledger'], 'monetary': false,
         'zero_reason': 'the ledger does not say which accounts are operating accounts'},
        {'name': 'personnel_share', 'sources': ['ledger'], 'monetary': false,
         'zero_reason': 'the ledger has no ICT cost'},
        {'name': 'saas_share_of_software', 'sources': ['ledger'], 'monetary': false,
         'zero_reason': 'the ledger has no software or SaaS cost'},
        {'name': 'share_past_cycle', 'sources': ['assets'], 'monetary': false,
         'zero_reason': 'the asset register has no devices in use'},
        {'name': 'training_spend_per_fte', 'sources': ['training'], 'monetary': true,
         'zero_reason': 'the HR records give no FTE'},
        {'name': 'people_vs_technology_ratio', 'sources': ['ledger'], 'monetary': false,
         'zero_reason': 'the ledger has no technology cost'},
        {'name': 'applications_per_10k_inhabitants', 'sources': ['applications', 'inhabitants'],
         'monetary': false, 'mart': 'portfolio_benchmark',
         'zero_reason': 'no CBS inhabitant count for 1 January of this year'},
        {'name': 'applications_per_100_fte', 'sources': ['applications', 'training'],
         'monetary': false, 'mart': 'portfolio_benchmark',
         'zero_reason': 'the HR records give no FTE'},
        {'name': 'saas_share_of_applications', 'sources': ['applications'], 'monetary': false,
         'mart': 'portfolio_benchmark',
         'zero_reason': 'no application in use has a known hosting'},
        {'name': 'saas_share_of_licence_cost', 'sources': ['applications'], 'monetary': false,
         'mart': 'portfolio_benchmark',
         'zero_reason': 'no application in use has both a known hosting and a licence cost'},
        {'name': 'licence_cost_per_application', 'sources': ['applications'], 'monetary': true,
         'mart': 'portfolio_benchmark',
         'zero_reason': 'no application in use has a licence cost'},
        {'name': 'licence_cost_per_user', 'sources': ['applications'], 'monetary': true,
         'mart': 'portfolio_benchmark',
         'zero_reason': 'no application in use has both a licence cost and a number of users'},
        {'name': 'overlapping_components', 'sources': ['applications'], 'monetary': false,
         'mart': 'portfolio_benchmark', 'zero_reason': 'the register has no applications'},
        {'name': 'applications_phasing_out', 'sources': ['applications'], 'monetary': false,
         'mart': 'portfolio_benchmark', 'zero_reason': 'the register has no applications'},
        {'name': 'contracts_ended', 'sources': ['applications'], 'monetary': false,
         'mart': 'portfolio_benchmark', 'zero_reason': 'the register has no applications'},
        {'name': 'top5_supplier_share', 'sources': ['applications'], 'monetary': false,
         'mart': 'portfolio_benchmark',
         'zero_reason': 'no application in use has a licence cost'},
        {'name': 'licence_register_to_ledger_ratio', 'sources': ['applications', 'ledger'],
         'monetary': false, 'mart': 'portfolio_benchmark',
         'zero_reason': 'the ledger has no software or SaaS cost, or the register no licence cost'},
        {'name': 'regie_fte_per_1000_inhabitants', 'sources': ['training', 'inhabitants'],
         'monetary': false, 'mart': 'portfolio_benchmark',
         'zero_reason': 'the HR records name no ICT roles (no role column, or every cell empty)'},
        {'name': 'ict_operations_fte_per_1000_inhabitants', 'sources': ['training', 'inhabitants'],
         'monetary': false, 'mart': 'portfolio_benchmark',
         'zero_reason': 'the HR records name no ICT roles (no role column, or every cell empty)'},
        {'name': 'regie_to_operations_ratio', 'sources': ['training'], 'monetary': false,
         'mart': 'portfolio_benchmark',
         'zero_reason': 'the HR records name no ICT roles, or nobody in ICT operations'},
    ] -%}
    {%- if mart is none %}{{ return(kpis) }}{% endif -%}
    {{ return(kpis | selectattr('mart', 'defined') | selectattr('mart', 'equalto', mart) | list
              if mart != 'ict_benchmark'
              else kpis | rejectattr('mart', 'defined') | list) }}
{% endmacro %}

{#- The HR roles that direct ICT (regie) rather than run it; ict_operations runs it. -#}
{% macro regie_roles() %}
    {{ return(['information_management', 'functional_management', 'information_security',
               'privacy', 'data_bi']) }}
{% endmacro %}

{#- Pivot the long KPI positions of one series back to one row per municipality and year. -#}
{% macro pivot_kpi_positions(boundaries, mart='ict_benchmark') %}
    select
        municipality_code,
        fiscal_year,
        {%- for kpi in headline_kpis(mart) %}
        any_value(peer_median) filter (where kpi = '{{ kpi.name }}') as {{ kpi.name }}_peer_median,
        any_value(index_vs_peer_median) filter (where kpi = '{{ kpi.name }}') as {{ kpi.name }}_index,
        any_value(peer_rank) filter (where kpi = '{{ kpi.name }}') as {{ kpi.name }}_rank,
        any_value(yoy_change) filter (where kpi = '{{ kpi.name }}') as {{ kpi.name }}_yoy_change,
        {%- if kpi.monetary %}
        any_value(value_real) filter (where kpi = '{{ kpi.name }}') as {{ kpi.name }}_real,
        {%- endif %}
        {%- endfor %}
        any_value(price_index) as price_index,
        any_value(real_terms_missing_reason) filter (where value_real is null and value is not null)
            as real_terms_missing_reason

    from {{ ref('int_kpi_values_positioned') }}
    where boundaries = '{{ boundaries }}'
    group by municipality_code, fiscal_year
{% endmacro %}

{#- The per-KPI benchmark columns of a mart, typed for its contract. -#}
{% macro kpi_benchmark_columns(kpis='kpis', positions='positions', mart='ict_benchmark') %}
    {%- for kpi in headline_kpis(mart) %}
    {%- set money = 'decimal(18, 2)' if kpi.monetary else 'double' %}
    {{ kpis }}.{{ kpi.name }}_quality,
    {{ kpis }}.{{ kpi.name }}_quality_reason,
    cast({{ positions }}.{{ kpi.name }}_peer_median as {{ money }}) as {{ kpi.name }}_peer_median,
    cast({{ positions }}.{{ kpi.name }}_index as double) as {{ kpi.name }}_index,
    cast({{ positions }}.{{ kpi.name }}_rank as bigint) as {{ kpi.name }}_rank,
    cast({{ positions }}.{{ kpi.name }}_yoy_change as {{ money }}) as {{ kpi.name }}_yoy_change,
    {%- if kpi.monetary %}
    cast({{ positions }}.{{ kpi.name }}_real as decimal(18, 2)) as {{ kpi.name }}_real,
    {%- endif %}
    {%- endfor %}
    cast({{ positions }}.price_index as double) as price_index,
    {{ positions }}.real_terms_missing_reason
{%- endmacro %}

{#- A GEMMA component name as a key: case, accents, spaces and punctuation ignored. -#}
{% macro component_key(text) -%}
    {{ regexp_replace_all(strip_accents('lower(' ~ text ~ ')'), '[^a-z0-9]', '') }}
{%- endmacro %}
