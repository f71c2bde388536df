with

dim_district as (

    select district_id
    from {{ ref('dim_district') }}

),

fct_cbhi_weekly as (

    select
        district_id,
        report_date,
        fiscal_year,
        week_of_fiscal_year,
        target_population,
        members_paid,
        households_paid,
        amount_collected_rwf,
        coverage_reported_pct,
        coverage_rate_as_received_pct
    from {{ ref('fct_cbhi_weekly') }}

),

fct_cbhi_coverage_corrected as (

    select
        district_id,
        report_date,
        is_target_stale
    from {{ ref('fct_cbhi_coverage_corrected') }}

),

fct_cbhi_payments_reconciliation as (

    select
        district_id,
        report_date,
        is_reconciled
    from {{ ref('fct_cbhi_payments_reconciliation') }}

),

int_dq_cbhi_increment_outliers as (

    select
        district_id,
        report_date,
        members_paid_increment,
        increment_median,
        increment_mad,
        increment_points,
        modified_z_score,
        is_outlier,
        is_negative_increment
    from {{ ref('int_dq_cbhi_increment_outliers') }}

),

int_dq_cbhi_same_week_earlier_years as (

    select
        district_id,
        report_date,
        earlier_years_mean_pct,
        earlier_years_count,
        consistency_ratio,
        is_consistency_flagged,
        target_growth_pct,
        projected_growth_pct,
        is_target_growth_implausible
    from {{ ref('int_dq_cbhi_same_week_earlier_years') }}

),

stg_landing__received_files as (

    select
        period_key,
        received_at,
        delivered_at,
        due_at,
        is_backfill
    from {{ ref('stg_landing__received_files') }}
    where
        file_kind = 'rssb_weekly'
        and file_status in ('loaded', 'superseded')
        and period_key is not null

),

-- A week's timeliness is its FIRST accepted file's, as in tpn_metrics.lateness: a later
-- correction (superseding file) does not make a week late.
first_deliveries as (

    select
        cast(period_key as date) as report_date,
        delivered_at,
        due_at,
        is_backfill
    from stg_landing__received_files
    qualify row_number() over (
            partition by period_key
            order by coalesce(delivered_at, received_at), received_at
        ) = 1

),

report_dates as (

    select
        report_date,
        cast(count(*) as integer) as districts_in_file
    from fct_cbhi_weekly
    group by 1

),

district_report_grid as (

    select
        dim_district.district_id,
        report_dates.report_date,
        report_dates.districts_in_file
    from dim_district
    cross join report_dates

),

weekly_joined as (

    select
        grid.district_id,
        grid.report_date,
        grid.districts_in_file,
        weekly.target_population,
        weekly.members_paid,
        weekly.households_paid,
        weekly.amount_collected_rwf,
        weekly.coverage_reported_pct,
        weekly.coverage_rate_as_received_pct,
        {{ fiscal_year_label('grid.report_date') }} as fiscal_year,
        {{ week_of_fiscal_year('grid.report_date') }} as week_of_fiscal_year,
        weekly.district_id is not null as is_district_reported
    from district_report_grid as grid
    left join fct_cbhi_weekly as weekly
        on
            grid.district_id = weekly.district_id
            and grid.report_date = weekly.report_date

),

completeness as (

    select
        *,
        -- Required: district, report date, target, members paid (the first two are there
        -- whenever the district has a row). Optional: households paid, amount collected,
        -- RSSB's coverage rate. A district missing from the file has 0 % of either.
        case
            when is_district_reported
                then 100.0 * (
                        2
                        + cast(target_population is not null as integer)
                        + cast(members_paid is not null as integer)
                    ) / 4
            else 0.0
        end as required_fields_filled_pct,
        case
            when is_district_reported
                then 100.0 * (
                        cast(households_paid is not null as integer)
                        + cast(amount_collected_rwf is not null as integer)
                        + cast(coverage_rate_as_received_pct is not null as integer)
                    ) / 3
            else 0.0
        end as optional_fields_filled_pct
    from weekly_joined

),

timeliness as (

    select
        completeness.*,
        deliveries.delivered_at,
        deliveries.due_at,
        case
            when coalesce(deliveries.is_backfill, false) then null
            else
                date_diff(
                    'second', cast(completeness.report_date as timestamp), deliveries.delivered_at
                ) / 86400.0
        end as days_after_report_date,
        case
            when coalesce(deliveries.is_backfill, false) then 'backfilled'
            when deliveries.delivered_at is null or deliveries.due_at is null then 'unknown'
            when deliveries.delivered_at <= deliveries.due_at then 'on_time'
            else 'late'
        end as timeliness_status
    from completeness
    left join first_deliveries as deliveries
        on completeness.report_date = deliveries.report_date

),

internal_consistency as (

    select
        *,
        coverage_reported_pct as coverage_recomputed_pct,
        coverage_rate_as_received_pct - coverage_reported_pct as coverage_rate_gap_pp,
        cast(members_paid as double) / nullif(households_paid, 0) as members_per_household
    from timeliness

),

measures_joined as (

    select
        internal_consistency.district_id,
        internal_consistency.report_date,
        internal_consistency.fiscal_year,
        internal_consistency.week_of_fiscal_year,
        internal_consistency.is_district_reported,
        internal_consistency.districts_in_file,
        internal_consistency.required_fields_filled_pct,
        internal_consistency.optional_fields_filled_pct,
        internal_consistency.delivered_at,
        internal_consistency.due_at,
        internal_consistency.days_after_report_date,
        internal_consistency.timeliness_status,
        outliers.members_paid_increment,
        outliers.increment_median,
        outliers.increment_mad,
        outliers.modified_z_score,
        internal_consistency.coverage_reported_pct,
        history.earlier_years_mean_pct,
        history.consistency_ratio,
        internal_consistency.coverage_rate_as_received_pct,
        internal_consistency.coverage_recomputed_pct,
        internal_consistency.coverage_rate_gap_pp,
        internal_consistency.members_per_household,
        history.target_growth_pct,
        history.projected_growth_pct,
        coalesce(outliers.increment_points, 0) as increment_points,
        coalesce(outliers.is_outlier, false) as is_outlier,
        coalesce(outliers.is_negative_increment, false) as is_negative_increment,
        coalesce(history.earlier_years_count, 0) as earlier_years_count,
        coalesce(history.is_consistency_flagged, false) as is_consistency_flagged,
        coalesce(
            abs(internal_consistency.coverage_rate_gap_pp)
            > {{ var('dq_coverage_rate_tolerance_pp') }},
            false
        ) as is_coverage_rate_inconsistent,
        coalesce(
            internal_consistency.members_per_household < {{ var('dq_household_size_min') }}
            or internal_consistency.members_per_household > {{ var('dq_household_size_max') }},
            false
        ) as is_household_size_implausible,
        not payments.is_reconciled as is_payments_inconsistent,
        coalesce(corrected.is_target_stale, false) as is_target_stale,
        coalesce(history.is_target_growth_implausible, false) as is_target_growth_implausible
    from internal_consistency
    left join int_dq_cbhi_increment_outliers as outliers
        on
            internal_consistency.district_id = outliers.district_id
            and internal_consistency.report_date = outliers.report_date
    left join int_dq_cbhi_same_week_earlier_years as history
        on
            internal_consistency.district_id = history.district_id
            and internal_consistency.report_date = history.report_date
    left join fct_cbhi_payments_reconciliation as payments
        on
            internal_consistency.district_id = payments.district_id
            and internal_consistency.report_date = payments.report_date
    left join fct_cbhi_coverage_corrected as corrected
        on
            internal_consistency.district_id = corrected.district_id
            and internal_consistency.report_date = corrected.report_date

),

flags_counted as (

    select
        district_id,
        report_date,
        fiscal_year,
        week_of_fiscal_year,
        is_district_reported,
        districts_in_file,
        required_fields_filled_pct,
        optional_fields_filled_pct,
        delivered_at,
        due_at,
        days_after_report_date,
        timeliness_status,
        members_paid_increment,
        increment_median,
        increment_mad,
        increment_points,
        modified_z_score,
        is_outlier,
        is_negative_increment,
        coverage_reported_pct,
        earlier_years_mean_pct,
        earlier_years_count,
        consistency_ratio,
        is_consistency_flagged,
        coverage_rate_as_received_pct,
        coverage_recomputed_pct,
        coverage_rate_gap_pp,
        is_coverage_rate_inconsistent,
        members_per_household,
        is_household_size_implausible,
        is_payments_inconsistent,
        is_target_stale,
        target_growth_pct,
        projected_growth_pct,
        is_target_growth_implausible,
        cast(
            cast(not is_district_reported as integer)
            + cast(timeliness_status = 'late' as integer)
            + cast(is_outlier as integer)
            + cast(is_negative_increment as integer)
            + cast(is_consistency_flagged as integer)
            + cast(is_coverage_rate_inconsistent as integer)
            + cast(is_household_size_implausible as integer)
            + cast(coalesce(is_payments_inconsistent, false) as integer)
            + cast(is_target_stale as integer)
            + cast(is_target_growth_implausible as integer)
            as integer
        ) as flag_count
    from measures_joined

)

select * from flags_counted
