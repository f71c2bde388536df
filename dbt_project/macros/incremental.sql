{#
    Helpers of the incremental weekly marts (fct_cbhi_weekly, fct_cbhi_coverage_corrected);
    the design is in docs/warehouse.md ("Incremental marts and late corrections").

    dbt_loaded_at(): when this dbt invocation started (UTC), as a TIMESTAMP literal. Every row
        an incremental mart writes carries it, so "which rows did a run (re)write" is a query:
        select count(*) from marts.fct_cbhi_weekly
        where dbt_loaded_at = (select max(dbt_loaded_at) from marts.fct_cbhi_weekly)

    delete_rows_missing_from(upstream, key_columns): a post-hook deleting the rows of {{ this }}
        whose key is no longer in `upstream` (a superseding RSSB file without a district the
        superseded one had). delete+insert only replaces keys present in the new batch, so
        without it such a row would outlive its file; a full refresh would not have it.
#}
{% macro dbt_loaded_at() -%}
    cast('{{ run_started_at.strftime("%Y-%m-%d %H:%M:%S.%f") }}' as timestamp)
{%- endmacro %}

{% macro delete_rows_missing_from(upstream, key_columns) -%}
    delete from {{ this }} as kept
    where not exists (
        select 1
        from {{ upstream }} as current_rows
        where
            {% for column in key_columns -%}
            kept.{{ column }} = current_rows.{{ column }}
            {%- if not loop.last %} and {% endif %}
            {% endfor %}
    )
{%- endmacro %}
