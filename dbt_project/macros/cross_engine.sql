{#-
    SQL that DuckDB and Spark spell differently, one macro per construct (docs/spark.md). The
    models use these or dbt's own cross-database macros (dbt.datediff, dbt.dateadd,
    dbt.type_string); where both engines accept one spelling (array_agg, array_sort,
    array_contains, cardinality, max_by, percentile_cont ... within group, * except,
    qualify, group by all, with recursive)
    the models use it directly.
-#}

{#- an empty array of the given element type, e.g. for coalesce(list, <empty>) -#}
{% macro empty_array(element_type='varchar') -%}
    {{ adapter.dispatch('empty_array')(element_type) }}
{%- endmacro %}
{% macro default__empty_array(element_type) -%}
    []::{{ element_type }}[]
{%- endmacro %}
{% macro spark__empty_array(element_type) -%}
    cast(array() as array<{{ 'string' if element_type == 'varchar' else element_type }}>)
{%- endmacro %}

{#- one row per element of an array (in a select list) -#}
{% macro unnest_array(array) -%}
    {{ adapter.dispatch('unnest_array')(array) }}
{%- endmacro %}
{% macro default__unnest_array(array) -%}
    unnest({{ array }})
{%- endmacro %}
{% macro spark__unnest_array(array) -%}
    explode({{ array }})
{%- endmacro %}

{#- the elements of an array joined by a separator (nulls left out) -#}
{% macro array_to_text(array, separator) -%}
    {{ adapter.dispatch('array_to_text')(array, separator) }}
{%- endmacro %}
{% macro default__array_to_text(array, separator) -%}
    array_to_string({{ array }}, {{ separator }})
{%- endmacro %}
{% macro spark__array_to_text(array, separator) -%}
    array_join({{ array }}, {{ separator }})
{%- endmacro %}

{#- the integers first..last that are not in an array of integers -#}
{% macro integers_not_in(array, first, last) -%}
    {{ adapter.dispatch('integers_not_in')(array, first, last) }}
{%- endmacro %}
{% macro default__integers_not_in(array, first, last) -%}
    list_filter(range({{ first }}, {{ last + 1 }}), lambda n: not list_contains({{ array }}, n))
{%- endmacro %}
{% macro spark__integers_not_in(array, first, last) -%}
    filter(sequence({{ first }}, {{ last }}), n -> not array_contains({{ array }}, n))
{%- endmacro %}

{#- every match of a regular expression replaced; the pattern as regular-expression text -#}
{% macro regexp_replace_all(text, pattern, replacement) -%}
    {{ adapter.dispatch('regexp_replace_all')(text, pattern, replacement) }}
{%- endmacro %}
{% macro default__regexp_replace_all(text, pattern, replacement) -%}
    regexp_replace({{ text }}, '{{ pattern }}', '{{ replacement }}', 'g')
{%- endmacro %}
{#- Spark replaces every match by default, and reads a backslash in a literal as an escape -#}
{% macro spark__regexp_replace_all(text, pattern, replacement) -%}
    regexp_replace({{ text }}, '{{ pattern | replace('\\', '\\\\') }}', '{{ replacement }}')
{%- endmacro %}

{#- text without its accents (é -> e) -#}
{% macro strip_accents(text) -%}
    {{ adapter.dispatch('strip_accents')(text) }}
{%- endmacro %}
{% macro default__strip_accents(text) -%}
    strip_accents({{ text }})
{%- endmacro %}
{#- Spark has no function for it: the accented Latin letters of Dutch and its neighbours -#}
{% macro spark__strip_accents(text) -%}
    translate({{ text }},
        'ÀÁÂÃÄÅàáâãäåÇçÈÉÊËèéêëÌÍÎÏìíîïÑñÒÓÔÕÖòóôõöÙÚÛÜùúûüÝýÿ',
        'AAAAAAaaaaaaCcEEEEeeeeIIIIiiiiNnOOOOOoooooUUUUuuuuYyy')
{%- endmacro %}

{#- DuckDB's format(): `{% call format_text() %}'{} of {}', a, b{% endcall %}`, the template
    with {} placeholders, then its arguments. Spark's format_string takes %s (and %% for %);
    printf would serve both, but DuckDB's printf refuses %s for a number. -#}
{% macro format_text() -%}
    {{ adapter.dispatch('format_text')(caller()) }}
{%- endmacro %}
{% macro default__format_text(arguments) -%}
    format({{ arguments }})
{%- endmacro %}
{% macro spark__format_text(arguments) -%}
    format_string({{ arguments | replace('%', '%%') | replace('{}', '%s') }})
{%- endmacro %}

{#- an aggregate: the values joined by a separator in the given order (nulls left out) -#}
{% macro ordered_string_agg(value, separator, order_by, distinct=false) -%}
    {{ adapter.dispatch('ordered_string_agg')(value, separator, order_by, distinct) }}
{%- endmacro %}
{% macro default__ordered_string_agg(value, separator, order_by, distinct) -%}
    string_agg({{ 'distinct ' if distinct }}{{ value }}, {{ separator }} order by {{ order_by }})
{%- endmacro %}
{#- listagg(distinct ...) beside another distinct aggregate fails in Spark's planner
    (ClassCastException in RewriteDistinctAggregates): the distinct values sorted instead -#}
{% macro spark__ordered_string_agg(value, separator, order_by, distinct) -%}
    {%- if distinct -%}
    {%- if order_by != value %}{{ exceptions.raise_compiler_error('ordered_string_agg: distinct values are ordered by themselves') }}{% endif -%}
    nullif(array_join(array_sort(collect_set({{ value }})), {{ separator }}), '')
    {%- else -%}
    listagg({{ value }}, {{ separator }}) within group (order by {{ order_by }})
    {%- endif -%}
{%- endmacro %}

{#- the type of an account number read as a number (up to 38 digits) -#}
{% macro type_account_number() -%}
    {{ adapter.dispatch('type_account_number')() }}
{%- endmacro %}
{% macro default__type_account_number() -%}
    hugeint
{%- endmacro %}
{% macro spark__type_account_number() -%}
    decimal(38, 0)
{%- endmacro %}

{#- the path of the landed file a row of a landing source was read from -#}
{% macro landed_file_name() -%}
    {{ return(adapter.dispatch('landed_file_name')()) }}
{%- endmacro %}
{% macro default__landed_file_name() -%}
    filename
{%- endmacro %}
{% macro spark__landed_file_name() -%}
    input_file_name()
{%- endmacro %}
