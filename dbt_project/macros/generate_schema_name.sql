{#
    Schemas are literally the folder's configured schema (staging, intermediate, marts,
    reference) rather than dbt's default "<target schema>_<custom schema>": there is one
    warehouse per environment (a DuckDB file), so no prefix is needed, and Python reads
    marts.fct_* by that name.
#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
