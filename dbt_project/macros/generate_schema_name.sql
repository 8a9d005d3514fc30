{#- Marts land in `main`, so BI tools see them without a schema prefix; the rest keeps its own schema. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {{ custom_schema_name | trim if custom_schema_name else target.schema }}
{%- endmacro %}
