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

    Incremental (delete+insert on district_id x report_date; design in docs/warehouse.md).
    A run writes only the reports of fct_cbhi_weekly that were (re)written after this mart
    last wrote them (or that it does not have yet), each with the next saturation_weeks - 1
    reports of the same district and fiscal year, whose saturation window contains it. The
    windows run over each affected district-year up to its last report to write. Rows whose
    weekly report is gone are deleted by the post-hook. A change of the seeds or vars (census
    populations, other-scheme shares, thresholds) reaches old rows only through a full
    refresh, which tpn_metrics.warehouse_build runs by itself when the project changed.
#}

{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key=['district_id', 'report_date'],
        on_schema_change='fail',
        post_hook="{{ delete_rows_missing_from(
            ref('fct_cbhi_weekly'), ['district_id', 'report_date']
        ) }}",
    )
}}

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
        coverage_change_week_pp,
        dbt_loaded_at
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

{%- if is_incremental() %}

fct_cbhi_coverage_corrected_existing as (

    select
        district_id,
        report_date,
        dbt_loaded_at
    from {{ this }}

),

weekly_reports_numbered as (

    select
        district_id,
        report_date,
        fiscal_year,
        dbt_loaded_at,
        row_number() over (
            partition by district_id, fiscal_year
            order by report_date
        ) as report_number
    from fct_cbhi_weekly

),

reports_changed as (

    {#- Weekly reports written after this mart wrote them, or not here yet. #}
    select
        numbered.district_id,
        numbered.fiscal_year,
        numbered.report_number
    from weekly_reports_numbered as numbered
    left join fct_cbhi_coverage_corrected_existing as in_mart
        on numbered.district_id = in_mart.district_id
            and numbered.report_date = in_mart.report_date
    where
        in_mart.dbt_loaded_at is null
        or numbered.dbt_loaded_at > in_mart.dbt_loaded_at

),

reports_to_write_selected as (

    {#- Each changed report and the next saturation_weeks - 1 of its fiscal year. #}
    select distinct
        numbered.district_id,
        numbered.fiscal_year,
        numbered.report_date
    from weekly_reports_numbered as numbered
    inner join reports_changed as changed
        on numbered.district_id = changed.district_id
            and numbered.fiscal_year = changed.fiscal_year
            and numbered.report_number >= changed.report_number
            and numbered.report_number < changed.report_number + {{ saturation_weeks }}

),

weekly_reports_in_scope as (

    {#- Each affected district-year, up to its last report to write. #}
    {{ reports_in_fiscal_year_context('fct_cbhi_weekly', 'reports_to_write_selected') }}

),

{%- else %}

weekly_reports_in_scope as (

    select * from fct_cbhi_weekly

),

{%- endif %}

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
                other_scheme_shares.other_scheme_share,
                {{ var('cbhi_other_scheme_share_default') }}
            ) as double
        ) as other_scheme_share
    from weekly_reports_in_scope as weekly
    inner join int_district_populations_projected as projected
        on weekly.district_id = projected.district_id
            and weekly.report_date = projected.report_date
    left join cbhi_other_scheme_shares as other_scheme_shares
        on weekly.district_id = other_scheme_shares.district_id

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
        max(abs(coverage_change_week_pp)) over (
            partition by district_id, fiscal_year
            order by report_date
            rows between {{ [saturation_weeks - 2, 0] | max }} preceding and current row
        ) as saturation_window_max_move_pp
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
        coverage_corrected_pct - coverage_reported_pct as coverage_divergence_pp,
        coalesce(
            abs(coverage_corrected_pct - coverage_reported_pct)
            > {{ var('coverage_divergence_threshold_pp') }},
            false
        ) as is_coverage_divergent,
        coalesce(
            saturation_window_report_count = {{ saturation_weeks }}
            and saturation_window_min_coverage_pct >= {{ var('saturation_coverage_pct') }}
            {#- a window of a single report has no weekly move #}
            and (
                {{ saturation_weeks }} < 2
                or saturation_window_max_move_pp < {{ var('saturation_max_weekly_move_pp') }}
            )
            and abs(coverage_corrected_pct - coverage_reported_pct)
            > {{ var('saturation_min_gap_pp') }},
            false
        ) as is_saturated,
        {{ dbt_loaded_at() }} as dbt_loaded_at
    from saturation_windows_computed

),

reports_written as (

    select flags_derived.*
    from flags_derived
    {% if is_incremental() %}
    inner join reports_to_write_selected as to_write
        on flags_derived.district_id = to_write.district_id
            and flags_derived.report_date = to_write.report_date
    {% endif %}

)

select * from reports_written
