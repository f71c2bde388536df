with

fct_dq_cbhi_district_reports as (

    select * from {{ ref('fct_dq_cbhi_district_reports') }}

),

fct_dq_accreditation_hospitals as (

    select * from {{ ref('fct_dq_accreditation_hospitals') }}

),

fct_dq_accreditation_surveys as (

    select * from {{ ref('fct_dq_accreditation_surveys') }}

),

fct_cbhi_coverage_corrected as (

    select
        district_id,
        report_date,
        rssb_target_population,
        corrected_target_central
    from {{ ref('fct_cbhi_coverage_corrected') }}

),

fct_cbhi_payments_reconciliation as (

    select
        district_id,
        report_date,
        rssb_members_paid,
        payments_members_paid
    from {{ ref('fct_cbhi_payments_reconciliation') }}

),

-- Weeks with no file at all: every Friday between the first and the last report with none.
-- (Weeks after the last report are tpn_metrics.lateness's: `tpn status`, the late-file alert.)
report_weeks as (

    select distinct {{ friday_on_or_after('report_date') }} as report_week
    from fct_dq_cbhi_district_reports

),

expected_weeks as (

    select
        cast(
            unnest(generate_series(min(report_week), max(report_week), interval 7 day)) as date
        ) as report_week
    from report_weeks

),

missing_weeks as (

    select expected_weeks.report_week
    from expected_weeks
    left join report_weeks
        on expected_weeks.report_week = report_weeks.report_week
    where report_weeks.report_week is null

),

rssb_flags as (

    select
        cast(null as varchar) as district_id,
        report_week as report_date,
        'timeliness' as dimension,
        'week_missing' as measure,
        0.0 as observed_value,
        1.0 as expected_value,
        'files' as unit,
        format('No RSSB file for the week of {}: no district has figures.', report_week)
            as detail
    from missing_weeks

    union all

    select
        district_id,
        report_date,
        'completeness' as dimension,
        'district_missing' as measure,
        cast(districts_in_file as double) as observed_value,
        cast({{ var('dq_expected_districts') }} as double) as expected_value,
        'districts' as unit,
        format(
            'The file for {} has no row for this district ({} of {} districts).',
            report_date, districts_in_file, {{ var('dq_expected_districts') }}
        ) as detail
    from fct_dq_cbhi_district_reports
    where not is_district_reported

    union all

    select
        district_id,
        report_date,
        'timeliness' as dimension,
        'late_file' as measure,
        days_after_report_date as observed_value,
        date_diff('second', cast(report_date as timestamp), due_at) / 86400.0
            as expected_value,
        'days' as unit,
        format(
            'The file for {} arrived {:.1f} days after the report date, after its deadline {} UTC.',
            report_date, days_after_report_date, strftime(due_at, '%Y-%m-%d %H:%M')
        ) as detail
    from fct_dq_cbhi_district_reports
    where timeliness_status = 'late'

    union all

    select
        district_id,
        report_date,
        'outliers' as dimension,
        'members_paid_increment' as measure,
        cast(members_paid_increment as double) as observed_value,
        increment_median as expected_value,
        'members' as unit,
        format(
            'Members paid rose by {:,} (usual weekly rise about {:,.0f}; modified z-score {}).',
            members_paid_increment, increment_median,
            coalesce(format('{:.1f}', modified_z_score), 'undefined, MAD = 0')
        ) as detail
    from fct_dq_cbhi_district_reports
    where is_outlier

    union all

    select
        district_id,
        report_date,
        'outliers' as dimension,
        'negative_increment' as measure,
        cast(members_paid_increment as double) as observed_value,
        0.0 as expected_value,
        'members' as unit,
        format(
            'Members paid fell by {:,} since the previous report: an RSSB correction.',
            -members_paid_increment
        ) as detail
    from fct_dq_cbhi_district_reports
    where is_negative_increment

    union all

    select
        district_id,
        report_date,
        'consistency_over_time' as dimension,
        'coverage_consistency' as measure,
        coverage_reported_pct as observed_value,
        earlier_years_mean_pct as expected_value,
        'percent' as unit,
        format(
            'Coverage {:.1f} % is {:.2f} times the mean {:.1f} % of the same week '
            || 'in {} earlier {}.',
            coverage_reported_pct,
            consistency_ratio,
            earlier_years_mean_pct,
            earlier_years_count,
            case when earlier_years_count = 1 then 'year' else 'years' end
        ) as detail
    from fct_dq_cbhi_district_reports
    where is_consistency_flagged

    union all

    select
        district_id,
        report_date,
        'internal_consistency' as dimension,
        'coverage_rate' as measure,
        coverage_rate_as_received_pct as observed_value,
        coverage_recomputed_pct as expected_value,
        'percent' as unit,
        format(
            'RSSB''s coverage_rate {:.1f} % differs by {:+.1f} pp '
            || 'from members paid / target ({:.1f} %).',
            coverage_rate_as_received_pct, coverage_rate_gap_pp, coverage_recomputed_pct
        ) as detail
    from fct_dq_cbhi_district_reports
    where is_coverage_rate_inconsistent

    union all

    select
        district_id,
        report_date,
        'internal_consistency' as dimension,
        'household_size' as measure,
        members_per_household as observed_value,
        cast(null as double) as expected_value,
        'persons per household' as unit,
        format(
            '{:.1f} members per household paid, outside the plausible {} to {}.',
            members_per_household,
            {{ var('dq_household_size_min') }},
            {{ var('dq_household_size_max') }}
        ) as detail
    from fct_dq_cbhi_district_reports
    where is_household_size_implausible

    union all

    select
        reports.district_id,
        reports.report_date,
        'internal_consistency' as dimension,
        'payments_reconciliation' as measure,
        cast(payments.payments_members_paid as double) as observed_value,
        cast(payments.rssb_members_paid as double) as expected_value,
        'members' as unit,
        format(
            'Payments extract counts {:,} members paid, RSSB reports {:,}.',
            payments.payments_members_paid, payments.rssb_members_paid
        ) as detail
    from fct_dq_cbhi_district_reports as reports
    inner join fct_cbhi_payments_reconciliation as payments
        on
            reports.district_id = payments.district_id
            and reports.report_date = payments.report_date
    where reports.is_payments_inconsistent

    union all

    select
        reports.district_id,
        reports.report_date,
        'denominators' as dimension,
        'target_stale' as measure,
        cast(corrected.rssb_target_population as double) as observed_value,
        cast(corrected.corrected_target_central as double) as expected_value,
        'persons' as unit,
        format(
            'RSSB''s target {:,} is {:+.0f} % against the census-based target {:,} '
            || '(stale beyond +/-{:.0f} %).',
            corrected.rssb_target_population,
            100.0 * (
                corrected.rssb_target_population
                / nullif(corrected.corrected_target_central, 0) - 1
            ),
            corrected.corrected_target_central,
            100 * {{ var('target_stale_threshold') }}
        ) as detail
    from fct_dq_cbhi_district_reports as reports
    inner join fct_cbhi_coverage_corrected as corrected
        on
            reports.district_id = corrected.district_id
            and reports.report_date = corrected.report_date
    where reports.is_target_stale

    union all

    select
        district_id,
        report_date,
        'denominators' as dimension,
        'target_growth' as measure,
        target_growth_pct as observed_value,
        projected_growth_pct as expected_value,
        'percent' as unit,
        format(
            'RSSB''s target changed {:+.1f} % in a year, the census projection {:+.1f} %.',
            target_growth_pct, projected_growth_pct
        ) as detail
    from fct_dq_cbhi_district_reports
    where is_target_growth_implausible

),

accreditation_flags as (

    select
        district_id,
        hospital_id,
        survey_year,
        'outliers' as dimension,
        'score_change' as measure,
        level_2_change_pp as observed_value,
        0.0 as expected_value,
        'pp' as unit,
        format(
            'Level-2 score moved {:+.1f} pp since the previous survey (threshold {} pp).',
            level_2_change_pp, {{ var('dq_accreditation_score_change_pp') }}
        ) as detail
    from fct_dq_accreditation_hospitals
    where is_score_change_flagged

    union all

    select
        cast(null as varchar) as district_id,
        cast(null as varchar) as hospital_id,
        survey_year,
        'completeness' as dimension,
        'hospitals_surveyed' as measure,
        cast(hospitals_surveyed as double) as observed_value,
        cast(hospitals_expected as double) as expected_value,
        'hospitals' as unit,
        format(
            'The {} survey has {} of the {} expected hospitals ({:.0f} %).',
            survey_year, hospitals_surveyed, hospitals_expected, completeness_pct
        ) as detail
    from fct_dq_accreditation_surveys
    where hospitals_surveyed < hospitals_expected

),

flags_unioned as (

    select
        -- `source` is the contract's name (a keyword in some dialects, not in DuckDB).
        'rssb_weekly' as source,  -- noqa: RF04
        district_id,
        cast(null as varchar) as hospital_id,
        report_date,
        cast(null as integer) as survey_year,
        dimension,
        measure,
        observed_value,
        expected_value,
        unit,
        detail
    from rssb_flags

    union all

    select
        'accreditation' as source,  -- noqa: RF04
        district_id,
        hospital_id,
        cast(null as date) as report_date,
        survey_year,
        dimension,
        measure,
        observed_value,
        expected_value,
        unit,
        detail
    from accreditation_flags

),

keyed as (

    select
        *,
        md5(
            concat_ws(
                '|',
                source,
                coalesce(district_id, ''),
                coalesce(hospital_id, ''),
                coalesce(cast(report_date as varchar), cast(survey_year as varchar)),
                measure
            )
        ) as flag_id
    from flags_unioned

)

select * from keyed
