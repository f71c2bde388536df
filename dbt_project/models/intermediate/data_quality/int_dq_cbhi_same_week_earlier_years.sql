{#
    Each district's report against the same week of fiscal year (week_of_fiscal_year) in
    earlier fiscal years: the WHO DQR's consistency over time (this week's coverage against
    the mean of up to var('dq_consistency_years') earlier years) and the denominators' growth
    (RSSB's target and the census projection against the same week one year earlier).
#}

with

fct_cbhi_weekly as (

    select
        district_id,
        report_date,
        week_of_fiscal_year,
        cast(year(fiscal_year_start_date) as integer) as fiscal_year_start_year,
        target_population,
        coverage_reported_pct
    from {{ ref('fct_cbhi_weekly') }}

),

fct_cbhi_coverage_corrected as (

    select
        district_id,
        report_date,
        projected_population_geometric
    from {{ ref('fct_cbhi_coverage_corrected') }}

),

reports as (

    select
        weekly.*,
        cast(corrected.projected_population_geometric as double) as projected_population
    from fct_cbhi_weekly as weekly
    left join fct_cbhi_coverage_corrected as corrected
        on
            weekly.district_id = corrected.district_id
            and weekly.report_date = corrected.report_date

),

earlier_years_averaged as (

    select
        this_year.district_id,
        this_year.report_date,
        cast(count(earlier.coverage_reported_pct) as integer) as earlier_years_count,
        avg(earlier.coverage_reported_pct) as earlier_years_mean_pct
    from reports as this_year
    left join reports as earlier
        on
            this_year.district_id = earlier.district_id
            and this_year.week_of_fiscal_year = earlier.week_of_fiscal_year
            and this_year.fiscal_year_start_year > earlier.fiscal_year_start_year
            and earlier.fiscal_year_start_year
            >= this_year.fiscal_year_start_year - {{ var('dq_consistency_years') }}
    group by 1, 2

),

year_earlier_joined as (

    select
        this_year.district_id,
        this_year.report_date,
        this_year.week_of_fiscal_year,
        this_year.coverage_reported_pct,
        averaged.earlier_years_mean_pct,
        averaged.earlier_years_count,
        100.0 * (
            cast(this_year.target_population as double)
            / nullif(year_earlier.target_population, 0) - 1
        ) as target_growth_pct,
        100.0 * (
            this_year.projected_population / nullif(year_earlier.projected_population, 0) - 1
        ) as projected_growth_pct
    from reports as this_year
    inner join earlier_years_averaged as averaged
        on
            this_year.district_id = averaged.district_id
            and this_year.report_date = averaged.report_date
    left join reports as year_earlier
        on
            this_year.district_id = year_earlier.district_id
            and this_year.week_of_fiscal_year = year_earlier.week_of_fiscal_year
            and year_earlier.fiscal_year_start_year = this_year.fiscal_year_start_year - 1

),

ratios as (

    select
        *,
        coverage_reported_pct / nullif(earlier_years_mean_pct, 0) as consistency_ratio,
        coalesce(
            week_of_fiscal_year >= {{ var('dq_consistency_min_week') }}
            and abs(coverage_reported_pct / nullif(earlier_years_mean_pct, 0) - 1)
            > {{ var('dq_consistency_ratio_tolerance') }},
            false
        ) as is_consistency_flagged,
        coalesce(
            abs(target_growth_pct - projected_growth_pct)
            > {{ var('dq_target_growth_tolerance_pp') }},
            false
        ) as is_target_growth_implausible
    from year_earlier_joined

)

select * from ratios
