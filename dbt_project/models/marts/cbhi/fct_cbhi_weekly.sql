{#
    RSSB's weekly CBHI progress per district, with the fiscal year and week-on-week changes.

    Incremental (delete+insert on district_id x report_date; design in docs/warehouse.md).
    A run writes only:
      - the weeks whose current RSSB file is not the one the mart holds: a new week, a week
        whose file was superseded, a file for an older date delivered late (compared on
        source_file_sha256, which changes whenever a week is (re)loaded);
      - the weeks the mart holds that no current file has any more (deleted by the post-hook);
      - the next report of the same district and fiscal year after each of those, whose
        week-on-week change compares with it.
    Every derived value looks back only within district x fiscal year, so the window functions
    run over the reports of each affected district-year up to its last week to write: the
    context is at most one fiscal year, whatever the length of the history.
#}

{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key=['district_id', 'report_date'],
        on_schema_change='fail',
        post_hook="{{ delete_rows_missing_from(
            ref('stg_rssb__weekly_reports'), ['district_id', 'report_date']
        ) }}",
    )
}}

with

stg_rssb__weekly_reports as (

    select
        district_id,
        report_date,
        target_population,
        members_paid,
        households_paid,
        amount_collected_rwf,
        coverage_rate_as_received_pct,
        source_file_sha256
    from {{ ref('stg_rssb__weekly_reports') }}

),

{%- if is_incremental() %}

fct_cbhi_weekly_existing as (

    select
        district_id,
        report_date,
        fiscal_year,
        source_file_sha256
    from {{ this }}

),

{%- endif %}

fiscal_years_derived as (

    select
        district_id,
        report_date,
        {{ fiscal_year_label('report_date') }} as fiscal_year,
        {{ fiscal_year_start_date('report_date') }} as fiscal_year_start_date,
        {{ week_of_fiscal_year('report_date') }} as week_of_fiscal_year,
        target_population,
        members_paid,
        households_paid,
        amount_collected_rwf,
        coverage_rate_as_received_pct,
        source_file_sha256,
        case
            when target_population > 0
                then cast(members_paid as double) / cast(target_population as double) * 100
        end as coverage_reported_pct
    from stg_rssb__weekly_reports

),

{%- if is_incremental() %}

weeks_changed as (

    {#- New weeks, and weeks whose current file is not the one the mart holds. #}
    select
        reports.district_id,
        reports.report_date,
        reports.fiscal_year
    from fiscal_years_derived as reports
    left join fct_cbhi_weekly_existing as in_mart
        on reports.district_id = in_mart.district_id
            and reports.report_date = in_mart.report_date
    where in_mart.source_file_sha256 is distinct from reports.source_file_sha256

    union all

    {#- Weeks the mart holds that no current file has any more. #}
    select
        in_mart.district_id,
        in_mart.report_date,
        in_mart.fiscal_year
    from fct_cbhi_weekly_existing as in_mart
    left join fiscal_years_derived as reports
        on in_mart.district_id = reports.district_id
            and in_mart.report_date = reports.report_date
    where reports.district_id is null

),

following_weeks_selected as (

    {#- The next report of the same district and fiscal year after a changed week. #}
    select
        changed.district_id,
        changed.report_date as changed_report_date,
        min(reports.report_date) as report_date
    from weeks_changed as changed
    inner join fiscal_years_derived as reports
        on changed.district_id = reports.district_id
            and changed.fiscal_year = reports.fiscal_year
            and changed.report_date < reports.report_date
    group by 1, 2

),

weeks_to_write_selected as (

    select
        district_id,
        report_date
    from weeks_changed

    union

    select
        district_id,
        report_date
    from following_weeks_selected

),

reports_in_scope as (

    {#- Each affected district-year, up to its last week to write. #}
    {{ reports_in_fiscal_year_context('fiscal_years_derived', 'weeks_to_write_selected') }}

),

{%- else %}

reports_in_scope as (

    select * from fiscal_years_derived

),

{%- endif %}

previous_reports_joined as (

    select
        *,
        lag(report_date) over fiscal_year_reports as previous_report_date,
        lag(members_paid) over fiscal_year_reports as previous_members_paid,
        lag(coverage_reported_pct) over fiscal_year_reports as previous_coverage_reported_pct
    from reports_in_scope
    window fiscal_year_reports as (
        partition by district_id, fiscal_year
        order by report_date
    )

),

changes_computed as (

    select
        district_id,
        report_date,
        fiscal_year,
        fiscal_year_start_date,
        week_of_fiscal_year,
        target_population,
        members_paid,
        households_paid,
        amount_collected_rwf,
        coverage_reported_pct,
        coverage_rate_as_received_pct,
        previous_report_date,
        source_file_sha256,
        members_paid - previous_members_paid as members_paid_change_week,
        coverage_reported_pct - previous_coverage_reported_pct as coverage_change_week_pp,
        coalesce(members_paid < previous_members_paid, false) as is_correction,
        {{ dbt_loaded_at() }} as dbt_loaded_at
    from previous_reports_joined

),

weeks_written as (

    select changes_computed.*
    from changes_computed
    {% if is_incremental() %}
    inner join weeks_to_write_selected as to_write
        on changes_computed.district_id = to_write.district_id
            and changes_computed.report_date = to_write.report_date
    {% endif %}

)

select * from weeks_written
