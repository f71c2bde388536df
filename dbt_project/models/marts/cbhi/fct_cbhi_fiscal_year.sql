{#
    One row per district and fiscal year: where the year ended (its last report so far) and
    where it stood at the report nearest to the fiscal year's "same date" (var cbhi_same_date,
    MM-DD, e.g. 03-23 -> 23 March 2023 for 2022/23), so years can be compared at the same
    point. Ties (two reports equally far from the same date) go to the earlier report, the
    figure known on that date. same_date_distance_days says how far the chosen report is: in
    a year still in progress the "nearest" report may be months before the same date.
#}

{%- set same_month = var('cbhi_same_date').split('-')[0] | int %}
{%- set same_day = var('cbhi_same_date').split('-')[1] | int %}

with

fct_cbhi_weekly as (

    select
        district_id,
        report_date,
        fiscal_year,
        fiscal_year_start_date,
        target_population,
        members_paid,
        coverage_reported_pct
    from {{ ref('fct_cbhi_weekly') }}

),

same_dates_derived as (

    select
        *,
        make_date(
            cast(year(fiscal_year_start_date) as integer) + {{ 0 if same_month >= 7 else 1 }},
            {{ same_month }},
            {{ same_day }}
        ) as same_date
    from fct_cbhi_weekly

),

reports_ranked as (

    select
        *,
        abs(date_diff('day', same_date, report_date)) as same_date_distance_days,
        count(*) over fiscal_year_reports as report_count,
        min(report_date) over fiscal_year_reports as first_report_date,
        row_number() over (
            partition by district_id, fiscal_year
            order by report_date desc
        ) as recency_rank,
        row_number() over (
            partition by district_id, fiscal_year
            order by abs(date_diff('day', same_date, report_date)), report_date
        ) as same_date_proximity_rank
    from same_dates_derived
    window fiscal_year_reports as (partition by district_id, fiscal_year)

),

year_end_reports_selected as (

    select
        district_id,
        fiscal_year,
        fiscal_year_start_date,
        report_count,
        first_report_date,
        report_date as last_report_date,
        target_population as year_end_target_population,
        members_paid as year_end_members_paid,
        coverage_reported_pct as year_end_coverage_reported_pct
    from reports_ranked
    where recency_rank = 1

),

same_date_reports_selected as (

    select
        district_id,
        fiscal_year,
        same_date,
        report_date as same_date_report_date,
        cast(same_date_distance_days as integer) as same_date_distance_days,
        members_paid as same_date_members_paid,
        coverage_reported_pct as same_date_coverage_reported_pct
    from reports_ranked
    where same_date_proximity_rank = 1

),

fiscal_years_joined as (

    select
        year_end.district_id,
        year_end.fiscal_year,
        year_end.fiscal_year_start_date,
        cast(year_end.report_count as integer) as report_count,
        year_end.first_report_date,
        year_end.last_report_date,
        year_end.year_end_target_population,
        year_end.year_end_members_paid,
        year_end.year_end_coverage_reported_pct,
        same_date.same_date,
        same_date.same_date_report_date,
        same_date.same_date_distance_days,
        same_date.same_date_members_paid,
        same_date.same_date_coverage_reported_pct
    from year_end_reports_selected as year_end
    inner join same_date_reports_selected as same_date
        on year_end.district_id = same_date.district_id
            and year_end.fiscal_year = same_date.fiscal_year

)

select * from fiscal_years_joined
