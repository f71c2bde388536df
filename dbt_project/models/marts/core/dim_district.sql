with

districts as (

    select
        district_id,
        district_name,
        province,
        is_urban
    from {{ ref('districts') }}

),

district_census_populations as (

    select
        district_id,
        population_2012,
        population_2022
    from {{ ref('district_census_populations') }}

),

populations_joined as (

    select
        districts.district_id,
        districts.district_name,
        districts.province,
        districts.is_urban,
        census.population_2012,
        census.population_2022
    from districts
    left join district_census_populations as census
        on districts.district_id = census.district_id

)

select * from populations_joined
