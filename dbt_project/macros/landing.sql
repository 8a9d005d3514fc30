{#-
    The landing sources are Parquet files (models/staging/landing/_landing__sources.yml). DuckDB
    reads them through dbt-duckdb's `external_location` (read_parquet); Spark reads the same files
    as parquet.`path`, the path taken from that same `external_location`, so it is declared once.
    builtins.source keeps the lineage (dbt's graph, Dagster's assets) whatever the engine.
-#}
{% macro source(source_name, table_name) %}
    {%- set relation = builtins.source(source_name, table_name) -%}
    {{ return(adapter.dispatch('landing_relation')(relation, source_name, table_name)) }}
{% endmacro %}

{% macro default__landing_relation(relation, source_name, table_name) %}
    {{ return(relation) }}
{% endmacro %}

{% macro spark__landing_relation(relation, source_name, table_name) %}
    {%- if not execute %}{{ return(relation) }}{% endif -%}
    {%- set node = graph.sources.values() | selectattr('source_name', 'equalto', source_name)
                   | selectattr('name', 'equalto', table_name) | first -%}
    {%- set found = modules.re.search("read_parquet\('([^']+)'", node.meta.get('external_location', '')) -%}
    {%- if not found %}{{ return(relation) }}{% endif -%}
    {{ return('parquet.`' ~ found.group(1) ~ '`') }}
{% endmacro %}
