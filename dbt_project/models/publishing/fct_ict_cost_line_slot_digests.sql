{#-
    A digest of fct_ict_cost_line's rows per municipality-year, kept up to date with it: publishing
    compares these with the published file's instead of hashing every ledger line kept (3 s with ten
    years) to find the municipality-years a run changed (publish/update.py). Like the table, only
    the slots whose ledger or mapping changed are digested again (macros/ledger_slots), and a
    full refresh of the one is one of the other. A slot without ICT lines has line_count 0.
    The digest is the one publishing computes over the published rows: the sum of the hashes of
    every column of every row, so equal rows give equal digests whatever made them.
    digested_by says which dbt invocation digested the slot: the slots a build rebuilt are those
    its tests need to look at (macros/test_unique_in_slots_digested.sql).
    DuckDB only: the Spark target is not published.
-#}

{{ config(enabled=target.type == 'duckdb', **ledger_slot_config()) }}

with

to_digest as (

    select municipality_code, fiscal_year, delivery_id, mapping_delivery_id
    from {{ ref('int_ledger_slot_versions') }}
    {% if is_incremental() %}
    except
    select municipality_code, fiscal_year, delivery_id, mapping_delivery_id
    from {{ this }}
    {% endif %}

),

lines as (

    select * from {{ ref('fct_ict_cost_line') }} as lines
    {% if is_incremental() %}
    where exists (
        select 1 from to_digest
        where to_digest.municipality_code = lines.municipality_code
            and to_digest.fiscal_year = lines.fiscal_year
            and to_digest.delivery_id = lines.delivery_id
            and to_digest.mapping_delivery_id is not distinct from lines.mapping_delivery_id
    )
    {% endif %}

),

digests as (

    select
        municipality_code,
        fiscal_year,
        count(*) as line_count,
        cast(sum(hash(*columns(*))) as varchar) as digest
    from lines
    group by municipality_code, fiscal_year

)

select
    to_digest.municipality_code,
    to_digest.fiscal_year,
    to_digest.delivery_id,
    to_digest.mapping_delivery_id,
    coalesce(digests.line_count, 0) as line_count,
    digests.digest,
    '{{ invocation_id }}' as digested_by

from to_digest
left join digests
    on digests.municipality_code = to_digest.municipality_code
    and digests.fiscal_year = to_digest.fiscal_year
