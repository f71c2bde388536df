{#
    Each district's population projected to the middle of each month DHIS2 reports (the
    months of the monthly values in stg_dhis2__data_values), by the same census
    interpolation as int_district_populations_projected (macros census_interval_fraction and
    projected_population): the projection date is the month's 15th, its mid-point to the
    day. (The censuses are dated 15 August, so August 2022 gives the RPHC5 count exactly.)
#}

with

stg_dhis2__data_values as (

    select
        period_type,
        period_start
    from {{ ref('stg_dhis2__data_values') }}

),

district_census_populations as (

    select
        district_id,
        population_2012,
        population_2022
    from {{ ref('district_census_populations') }}

),

months_reported as (

    select distinct period_start as month_start
    from stg_dhis2__data_values
    where period_type = 'Monthly'

),

census_fractions_computed as (

    select
        census.district_id,
        months.month_start,
        cast(months.month_start + interval 14 day as date) as projection_date,
        census.population_2012,
        census.population_2022,
        {{ census_interval_fraction('cast(months.month_start + interval 14 day as date)') }}
            as census_interval_fraction
    from district_census_populations as census
    cross join months_reported as months

),

populations_projected as (

    select
        district_id,
        month_start,
        projection_date,
        population_2012,
        population_2022,
        census_interval_fraction,
        {{ projected_population('linear') }} as projected_population_linear,
        {{ projected_population('geometric') }} as projected_population_geometric,
        {{ projected_population('exponential') }} as projected_population_exponential
    from census_fractions_computed

)

select * from populations_projected
