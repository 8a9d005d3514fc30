{#-
    Each headline KPI against its peer group (its benchmark band, or shared_service for a
    municipality whose ICT is mostly a contribution to a shared service): the group's median, the index (median = 100), the
    rank (1 = highest value, among the complete figures, only when the band's statistics are not
    suppressed), the change against the year before (in the KPI's own unit) and, for amounts in
    euro, the real-terms value in euro of the base year (CBS CPI, var real_terms_base_year).
-#}

{%- set base_year = var('real_terms_base_year') -%}

with

kpi_values as (

    select * from {{ ref('int_kpi_values_unpivoted') }}

),

band_statistics as (

    select * from {{ ref('int_peer_groups_aggregated') }}
    where peer_group_type in ('benchmark_band', 'structure')

),

price_indices as (

    select * from {{ ref('stg_landing__price_indices') }}

),

base_price as (

    select price_index from price_indices where reference_year = {{ base_year }}

),

positioned as (

    select
        kpi_values.*,
        band_statistics.median as peer_median,
        band_statistics.n as peer_n,
        band_statistics.is_suppressed as peer_is_suppressed,
        price_indices.price_index,
        (select price_index from base_price) as base_price_index,
        rank() over (
            partition by kpi_values.boundaries, kpi_values.fiscal_year, kpi_values.peer_group,
                kpi_values.kpi, kpi_values.is_peer_eligible
            order by kpi_values.value desc
        ) as rank_among_eligible,
        lag(kpi_values.value) over (
            partition by kpi_values.boundaries, kpi_values.municipality_code, kpi_values.kpi
            order by kpi_values.fiscal_year
        ) as previous_value,
        lag(kpi_values.fiscal_year) over (
            partition by kpi_values.boundaries, kpi_values.municipality_code, kpi_values.kpi
            order by kpi_values.fiscal_year
        ) as previous_year

    from kpi_values
    left join band_statistics
        on band_statistics.boundaries = kpi_values.boundaries
        and band_statistics.fiscal_year = kpi_values.fiscal_year
        and band_statistics.peer_group = kpi_values.peer_group
        and band_statistics.kpi = kpi_values.kpi
    left join price_indices
        on price_indices.reference_year = kpi_values.fiscal_year

)

select
    boundaries,
    municipality_code,
    fiscal_year,
    peer_group,
    size_class,
    kpi,
    is_monetary,
    value,
    quality,
    quality_reason,
    is_peer_eligible,
    peer_median,
    peer_n,
    100 * value / nullif(peer_median, 0) as index_vs_peer_median,
    case
        when is_peer_eligible and not peer_is_suppressed and value is not null
            then rank_among_eligible
    end as peer_rank,
    case when previous_year = fiscal_year - 1 then value - previous_value end as yoy_change,
    price_index,
    case
        when is_monetary then value * base_price_index / price_index
    end as value_real,
    case
        when not is_monetary then null
        when price_index is null then {% call format_text() %}'no CBS price index for {}', fiscal_year{% endcall %}
        when base_price_index is null
            then 'no CBS price index for the base year {{ base_year }}'
    end as real_terms_missing_reason

from positioned
