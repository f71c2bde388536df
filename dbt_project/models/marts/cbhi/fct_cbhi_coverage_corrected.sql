{#
    RSSB's coverage set against a target built from the censuses. RSSB's denominator
    (target_population) can lag the population; here the eligible population is the
    district's projected population (int_district_populations_projected) less the share
    covered by other schemes (seed cbhi_other_scheme_shares, empty = var
    cbhi_other_scheme_share_default). Corrected targets are computed from the ROUNDED
    projections shown in the row, in DOUBLE arithmetic, rounded half away from zero, so each
    row can be recomputed from its own columns:
        corrected_target_central = round(projected_population_geometric * (1 - share))
        corrected_target_low     = round(least(linear, geometric, exponential) * (1 - share))
        corrected_target_high    = round(greatest(linear, geometric, exponential) * (1 - share))
#}

{%- set saturation_weeks = var('saturation_weeks') | int %}

with

fct_cbhi_weekly as (

    select
        district_id,
        report_date,
        fiscal_year,
        target_population,
        members_paid,
        coverage_reported_pct,
        coverage_change_week_pp
    from {{ ref('fct_cbhi_weekly') }}

),

int_district_populations_projected as (

    select
        district_id,
        report_date,
        projected_population_linear,
        projected_population_geometric,
        projected_population_exponential
    from {{ ref('int_district_populations_projected') }}

),

cbhi_other_scheme_shares as (

    select
        district_id,
        other_scheme_share
    from {{ ref('cbhi_other_scheme_shares') }}

),

projections_joined as (

    select
        weekly.district_id,
        weekly.report_date,
        weekly.fiscal_year,
        weekly.target_population as rssb_target_population,
        weekly.members_paid,
        weekly.coverage_reported_pct,
        weekly.coverage_change_week_pp,
        projected.projected_population_linear,
        projected.projected_population_geometric,
        projected.projected_population_exponential,
        cast(
            coalesce(
                shares.other_scheme_share,
                {{ var('cbhi_other_scheme_share_default') }}
            ) as double
        ) as other_scheme_share
    from fct_cbhi_weekly as weekly
    inner join int_district_populations_projected as projected
        on weekly.district_id = projected.district_id
        and weekly.report_date = projected.report_date
    left join cbhi_other_scheme_shares as shares
        on weekly.district_id = shares.district_id

),

targets_corrected as (

    select
        *,
        {{ round_half_away_from_zero(
            'cast(projected_population_geometric as double) * (1 - other_scheme_share)'
        ) }} as corrected_target_central,
        {{ round_half_away_from_zero(
            'cast(least(projected_population_linear, projected_population_geometric,'
            ~ ' projected_population_exponential) as double) * (1 - other_scheme_share)'
        ) }} as corrected_target_low,
        {{ round_half_away_from_zero(
            'cast(greatest(projected_population_linear, projected_population_geometric,'
            ~ ' projected_population_exponential) as double) * (1 - other_scheme_share)'
        ) }} as corrected_target_high
    from projections_joined

),

coverages_corrected as (

    select
        *,
        cast(members_paid as double) / nullif(corrected_target_central, 0) * 100
            as coverage_corrected_pct,
        cast(members_paid as double) / nullif(corrected_target_high, 0) * 100
            as coverage_corrected_low_pct,
        cast(members_paid as double) / nullif(corrected_target_low, 0) * 100
            as coverage_corrected_high_pct,
        cast(rssb_target_population as double) / nullif(corrected_target_central, 0)
            as correction_factor
    from targets_corrected

),

saturation_windows_computed as (

    {#- The last saturation_weeks reports of the fiscal year up to this one, and the
        week-on-week moves between them (the last saturation_weeks - 1 changes). #}
    select
        *,
        count(*) over (
            partition by district_id, fiscal_year
            order by report_date
            rows between {{ saturation_weeks - 1 }} preceding and current row
        ) as saturation_window_report_count,
        min(coverage_reported_pct) over (
            partition by district_id, fiscal_year
            order by report_date
            rows between {{ saturation_weeks - 1 }} preceding and current row
        ) as saturation_window_min_coverage_pct,
        {%- if saturation_weeks >= 2 %}
        max(abs(coverage_change_week_pp)) over (
            partition by district_id, fiscal_year
            order by report_date
            rows between {{ saturation_weeks - 2 }} preceding and current row
        ) as saturation_window_max_move_pp
        {%- else %}
        cast(0 as double) as saturation_window_max_move_pp
        {%- endif %}
    from coverages_corrected

),

flags_derived as (

    select
        district_id,
        report_date,
        fiscal_year,
        rssb_target_population,
        members_paid,
        projected_population_linear,
        projected_population_geometric,
        projected_population_exponential,
        other_scheme_share,
        corrected_target_central,
        corrected_target_low,
        corrected_target_high,
        coverage_reported_pct,
        coverage_corrected_pct,
        coverage_corrected_low_pct,
        coverage_corrected_high_pct,
        correction_factor,
        'geometric' as correction_method,
        coalesce(coverage_reported_pct > 100, false) as is_reported_over_100,
        coalesce(
            abs(correction_factor - 1) > {{ var('target_stale_threshold') }},
            false
        ) as is_target_stale,
        members_paid > corrected_target_central as is_projection_too_low,
        coalesce(
            saturation_window_report_count = {{ saturation_weeks }}
            and saturation_window_min_coverage_pct >= {{ var('saturation_coverage_pct') }}
            and saturation_window_max_move_pp < {{ var('saturation_max_weekly_move_pp') }}
            and abs(coverage_corrected_pct - coverage_reported_pct)
                > {{ var('saturation_min_gap_pp') }},
            false
        ) as is_saturated
    from saturation_windows_computed

)

select * from flags_derived
