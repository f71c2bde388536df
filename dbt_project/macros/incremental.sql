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

    reports_in_fiscal_year_context(reports, weeks_to_write): the rows of `reports` (district_id,
        fiscal_year, report_date) that window functions partitioned by district x fiscal year
        need to recompute `weeks_to_write` (district_id, report_date): each affected
        district-year up to its last week to write. Weeks to write that are not in `reports`
        (deleted weeks) need no context.
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


{% macro reports_in_fiscal_year_context(reports, weeks_to_write) -%}
    select reports.*
    from {{ reports }} as reports
    where exists (
        select 1
        from {{ weeks_to_write }} as to_write
        inner join {{ reports }} as written
            on to_write.district_id = written.district_id
                and to_write.report_date = written.report_date
        where
            written.district_id = reports.district_id
            and written.fiscal_year = reports.fiscal_year
            and written.report_date >= reports.report_date
    )
{%- endmacro %}
