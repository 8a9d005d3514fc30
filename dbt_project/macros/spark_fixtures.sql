{#-
    Seeds and unit-test fixtures on Spark.

    Seeds: dbt-spark's session connection fills a seed's values into its INSERT as
    '<value>' without escaping: a name with an apostrophe ('s-Hertogenbosch) breaks the statement
    and an empty cell lands as the text 'None'. This writes each value as a Spark literal instead;
    everything else is dbt-spark's own spark__load_csv_rows.
-#}
{% macro spark__load_csv_rows(model, agate_table) %}
    {%- set column_override = model['config'].get('column_types', {}) -%}
    {%- set statements = [] -%}
    {%- for chunk in agate_table.rows | batch(get_batch_size()) -%}
        {%- set sql -%}
            insert into {{ this.render() }} values
            {% for row in chunk -%}
                ({%- for value in row -%}
                    {%- set inferred_type = adapter.convert_type(agate_table, loop.index0) -%}
                    {%- set type = column_override.get(agate_table.column_names[loop.index0], inferred_type) -%}
                    cast({{ spark_seed_literal(value) }} as {{ type }}){{ ',' if not loop.last }}
                {%- endfor -%}){{ ',' if not loop.last }}
            {% endfor %}
        {%- endset -%}
        {%- do adapter.add_query(sql, abridge_sql_log=True) -%}
        {%- if loop.first %}{% do statements.append(sql) %}{% endif -%}
    {%- endfor -%}
    {{ return(statements[0]) }}
{% endmacro %}

{% macro spark_seed_literal(value) -%}
    {%- if value is none -%}
        null
    {%- elif value is sameas true or value is sameas false -%}
        {{ value | lower }}
    {%- elif value is number -%}
        {{ value }}
    {%- elif value.isoformat is defined -%}
        '{{ value.isoformat() }}'
    {%- else -%}
        '{{ value | replace('\\', '\\\\') | replace("'", "\\'") }}'
    {%- endif -%}
{%- endmacro %}

{#- dbt's unit-test fixtures pass a YAML list (gemma_components: ["a"]) to safe_cast as it is,
    which renders as DuckDB's list literal ['a']; Spark writes array('a'). Anything else as
    dbt-spark's own spark__safe_cast. -#}
{% macro spark__safe_cast(field, type) %}
    {%- if field is sequence and field is not string and field is not mapping -%}
        cast(array({% for item in field %}{{ spark_seed_literal(item) }}{{ ', ' if not loop.last }}{% endfor %}) as {{ type }})
    {%- else -%}
        {%- set field_clean = field.strip('"').strip("'") if (cast_from_string_unsupported_for(type) and field is string) else field -%}
        cast({{ field_clean }} as {{ type }})
    {%- endif -%}
{% endmacro %}
