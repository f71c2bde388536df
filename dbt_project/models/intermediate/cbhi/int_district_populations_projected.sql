{#
    Each district's population projected to each RSSB report date from the two censuses.
    With d0 = census_2012_date, d1 = census_2022_date and
    f = (report_date - d0 in days) / (d1 - d0 in days):
        linear      = P2012 + (P2022 - P2012) * f
        geometric   = P2012 * (P2022 / P2012) ^ f
        exponential = P2012 * exp(ln(P2022 / P2012) * f)
    each rounded half away from zero to the person. Fitted to the same two censuses the
    geometric and exponential curves are the same function (they differ only by float
    rounding), so the range in practice is linear vs geometric. At f = 1 every method gives
    the 2022 census exactly; at f = 0 the 2012 census. The formulas are the macros
    census_interval_fraction and projected_population (macros/census_projection.sql), shared
    with int_district_populations_projected_monthly.
#}

with

stg_rssb__weekly_reports as (

    select
        district_id,
        report_date
    from {{ ref('stg_rssb__weekly_reports') }}

),

district_census_populations as (

    select
        district_id,
        population_2012,
        population_2022
    from {{ ref('district_census_populations') }}

),

census_fractions_computed as (

    select
        reports.district_id,
        reports.report_date,
        census.population_2012,
        census.population_2022,
        {{ census_interval_fraction('reports.report_date') }}
            as census_interval_fraction
    from stg_rssb__weekly_reports as reports
    inner join district_census_populations as census
        on reports.district_id = census.district_id

),

populations_projected as (

    select
        district_id,
        report_date,
        population_2012,
        population_2022,
        census_interval_fraction,
        {{ projected_population('linear') }} as projected_population_linear,
        {{ projected_population('geometric') }} as projected_population_geometric,
        {{ projected_population('exponential') }} as projected_population_exponential
    from census_fractions_computed

)

select * from populations_projected
