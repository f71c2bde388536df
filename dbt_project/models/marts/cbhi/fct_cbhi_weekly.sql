{#
    RSSB's weekly CBHI progress per district, with the fiscal year and week-on-week changes.
    Rebuilt in full for now; it is meant to become incremental (append the new report date
    and recompute the changes of that fiscal year only), which is why every derived value
    depends only on earlier reports of the same district and fiscal year.
#}

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
        case
            when target_population > 0
                then cast(members_paid as double) / cast(target_population as double) * 100
        end as coverage_reported_pct,
        coverage_rate_as_received_pct,
        source_file_sha256
    from stg_rssb__weekly_reports

),

previous_reports_joined as (

    select
        *,
        lag(report_date) over fiscal_year_reports as previous_report_date,
        lag(members_paid) over fiscal_year_reports as previous_members_paid,
        lag(coverage_reported_pct) over fiscal_year_reports as previous_coverage_reported_pct
    from fiscal_years_derived
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
        members_paid - previous_members_paid as members_paid_change_week,
        coverage_reported_pct - previous_coverage_reported_pct as coverage_change_week_pp,
        coalesce(members_paid < previous_members_paid, false) as is_correction,
        source_file_sha256
    from previous_reports_joined

)

select * from changes_computed
