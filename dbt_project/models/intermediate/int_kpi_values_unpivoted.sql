{#- The headline KPIs in long form, one row per series, municipality, year and KPI. -#}

with

kpis as (

    select * from {{ ref('int_benchmark_kpis_computed') }}

),

unpivoted as (

    {%- for kpi in headline_kpis() %}

    select
        boundaries,
        municipality_code,
        fiscal_year,
        size_band,
        peer_group,
        is_shared_service_municipality,
        size_class,
        '{{ kpi.name }}' as kpi,
        {{ kpi.monetary }} as is_monetary,
        cast({{ kpi.name }} as double) as value,
        {{ kpi.name }}_quality as quality,
        {{ kpi.name }}_quality_reason as quality_reason

    from kpis
    {%- if not loop.last %}

    union all
    {%- endif %}
    {%- endfor %}

)

select
    *,
    quality = 'complete' as is_peer_eligible

from unpivoted
