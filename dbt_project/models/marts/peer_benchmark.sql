with

peer_groups as (

    select * from {{ ref('int_peer_groups_aggregated') }}

)

select
    boundaries,
    fiscal_year,
    peer_group_type,
    peer_group,
    cast(peer_group_order as integer) as peer_group_order,
    kpi,
    cast(municipalities_in_group as bigint) as municipalities_in_group,
    cast(n as bigint) as n,
    cast(p25 as double) as p25,
    cast(median as double) as median,
    cast(p75 as double) as p75,
    is_suppressed,
    suppression_reason

from peer_groups
