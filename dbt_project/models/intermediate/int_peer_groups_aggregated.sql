{#-
    Peer statistics per series, year, peer group and KPI, over the municipalities whose figure is
    complete (partial and missing figures stay out). Percentiles are percentile_cont (DuckDB's quantile_cont): linear
    interpolation between the two nearest values (as Excel PERCENTILE.INC and numpy's default).
    A group with fewer than min_peer_group_size complete figures gets NULL statistics and a reason,
    so that no single municipality can be read out of it. A shared-service municipality is in the
    structure group shared_service and national, not in a size band or CBS size class: its
    contribution hides the split the size groups compare (docs/methodology.md). The structure
    groups G4, G40 and wadden (seed municipality_structure_groups) stand beside the size groups.
-#}

{%- set minimum = var('min_peer_group_size') -%}

with

kpi_values as (

    select * from {{ ref('int_kpi_values_unpivoted') }}

),

structure_groups as (

    select * from {{ ref('municipality_structure_groups') }}

),

memberships as (

    select * except (peer_group), 'benchmark_band' as peer_group_type, size_band as peer_group
    from kpi_values
    where size_band is not null and not is_shared_service_municipality

    union all

    select * except (peer_group), 'size_class' as peer_group_type, size_class as peer_group
    from kpi_values
    where size_class is not null and not is_shared_service_municipality

    union all

    select * except (peer_group), 'structure' as peer_group_type, 'shared_service' as peer_group
    from kpi_values
    where is_shared_service_municipality

    union all

    select
        kpi_values.* except (peer_group),
        'structure' as peer_group_type,
        structure_groups.structure_group as peer_group
    from kpi_values
    -- joined on, not using: Spark moves a using key to the front of kpi_values.*, and the union
    -- is by position
    inner join structure_groups on structure_groups.municipality_code = kpi_values.municipality_code

    union all

    select * except (peer_group), 'national' as peer_group_type, 'national' as peer_group
    from kpi_values

),

aggregated as (

    select
        boundaries,
        fiscal_year,
        peer_group_type,
        peer_group,
        kpi,
        count(*) as municipalities_in_group,
        count(value) filter (where is_peer_eligible) as n,
        percentile_cont(0.25) within group (order by value) filter (where is_peer_eligible) as p25,
        percentile_cont(0.50) within group (order by value) filter (where is_peer_eligible) as median,
        percentile_cont(0.75) within group (order by value) filter (where is_peer_eligible) as p75

    from memberships
    group by boundaries, fiscal_year, peer_group_type, peer_group, kpi

)

select
    boundaries,
    fiscal_year,
    peer_group_type,
    peer_group,
    case peer_group_type
        when 'benchmark_band' then {{ size_label_order('peer_group', benchmark_bands()) }}
        when 'size_class' then {{ size_label_order('peer_group', cbs_size_classes()) }}
        else 0
    end as peer_group_order,
    kpi,
    municipalities_in_group,
    n,
    case when n >= {{ minimum }} then p25 end as p25,
    case when n >= {{ minimum }} then median end as median,
    case when n >= {{ minimum }} then p75 end as p75,
    n < {{ minimum }} as is_suppressed,
    case
        when n = 0 then 'no municipality in the group has a complete figure'
        when n < {{ minimum }} then {% call format_text() %}
            'fewer than {} municipalities with a complete figure (n = {}): suppressed so that '
            || 'no single municipality can be read out of the group',
            {{ minimum }}, n
        {% endcall %}
    end as suppression_reason

from aggregated
