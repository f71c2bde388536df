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
    the 2022 census exactly; at f = 0 the 2012 census.
#}

{%- set census_2012_date = "date '" ~ var('census_2012_date') ~ "'" %}
{%- set census_2022_date = "date '" ~ var('census_2022_date') ~ "'" %}

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
        cast(date_diff('day', {{ census_2012_date }}, reports.report_date) as double)
        / cast(date_diff('day', {{ census_2012_date }}, {{ census_2022_date }}) as double)
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
        {{ round_half_away_from_zero(
            'cast(population_2012 as double)'
            ~ ' + cast(population_2022 - population_2012 as double) * census_interval_fraction'
        ) }} as projected_population_linear,
        {{ round_half_away_from_zero(
            'cast(population_2012 as double)'
            ~ ' * power(cast(population_2022 as double) / cast(population_2012 as double),'
            ~ ' census_interval_fraction)'
        ) }} as projected_population_geometric,
        {{ round_half_away_from_zero(
            'cast(population_2012 as double)'
            ~ ' * exp(ln(cast(population_2022 as double) / cast(population_2012 as double))'
            ~ ' * census_interval_fraction)'
        ) }} as projected_population_exponential
    from census_fractions_computed

)

select * from populations_projected
