{#
    The modified z-score of each weekly increment of members paid (Iglewicz & Hoaglin 1993):
    0.6745 x (x - median) / MAD over the district's last var('dq_outlier_window_weeks')
    non-negative increments BEFORE the week scored, in the SAME fiscal year: CBHI payments
    are seasonal (most households pay in July-September, at the start of the year), so a
    baseline reaching into June's small increments would flag every July. Negative increments
    (RSSB corrections) are flagged apart and never enter a baseline. Fewer than
    var('dq_outlier_min_points') increments: not scored. MAD = 0 (more than half the
    baseline equal): z is null, and the increment is scored instead against the mean absolute
    deviation, (x - median) / (1.253314 x MeanAD), on the same scale (for normal data
    sigma = 1.4826 MAD = 1.2533 MeanAD, sqrt(pi / 2) = 1.2533); when MeanAD is 0 too (the
    whole baseline equal) any departure from it is an outlier.
#}

with

fct_cbhi_weekly as (

    select
        district_id,
        report_date,
        fiscal_year_start_date,
        members_paid_change_week as members_paid_increment
    from {{ ref('fct_cbhi_weekly') }}

),

baseline_increments as (

    select
        district_id,
        report_date,
        fiscal_year_start_date,
        cast(members_paid_increment as double) as baseline_increment
    from fct_cbhi_weekly
    where members_paid_increment >= 0

),

window_members as (

    select
        reports.district_id,
        reports.report_date,
        baseline.baseline_increment
    from fct_cbhi_weekly as reports
    inner join baseline_increments as baseline
        on
            reports.district_id = baseline.district_id
            and reports.fiscal_year_start_date = baseline.fiscal_year_start_date
            and reports.report_date > baseline.report_date
    qualify row_number() over (
            partition by reports.district_id, reports.report_date
            order by baseline.report_date desc
        ) <= {{ var('dq_outlier_window_weeks') }}

),

window_medians as (

    select
        district_id,
        report_date,
        median(baseline_increment) as increment_median,
        count(*) as increment_points
    from window_members
    group by 1, 2

),

window_mads as (

    select
        members.district_id,
        members.report_date,
        median(abs(members.baseline_increment - medians.increment_median)) as increment_mad,
        avg(abs(members.baseline_increment - medians.increment_median)) as increment_mean_ad
    from window_members as members
    inner join window_medians as medians
        on
            members.district_id = medians.district_id
            and members.report_date = medians.report_date
    group by 1, 2

),

baselines_joined as (

    select
        reports.district_id,
        reports.report_date,
        reports.members_paid_increment,
        medians.increment_median,
        mads.increment_mad,
        mads.increment_mean_ad,
        cast(coalesce(medians.increment_points, 0) as integer) as increment_points
    from fct_cbhi_weekly as reports
    left join window_medians as medians
        on
            reports.district_id = medians.district_id
            and reports.report_date = medians.report_date
    left join window_mads as mads
        on
            reports.district_id = mads.district_id
            and reports.report_date = mads.report_date

),

scored as (

    select
        *,
        case
            when
                members_paid_increment is null
                or increment_points < {{ var('dq_outlier_min_points') }}
                or increment_mad = 0
                then null
            else 0.6745 * (members_paid_increment - increment_median) / increment_mad
        end as modified_z_score,
        coalesce(members_paid_increment < 0, false) as is_negative_increment
    from baselines_joined

),

flagged as (

    select
        *,
        case
            when
                members_paid_increment is null
                or members_paid_increment < 0
                or increment_points < {{ var('dq_outlier_min_points') }}
                then false
            when increment_mad = 0 and increment_mean_ad = 0
                then members_paid_increment != increment_median
            when increment_mad = 0
                then
                    abs(members_paid_increment - increment_median) / (1.253314 * increment_mean_ad)
                    > {{ var('dq_outlier_modified_z_threshold') }}
            else abs(modified_z_score) > {{ var('dq_outlier_modified_z_threshold') }}
        end as is_outlier
    from scored

)

select * from flagged
