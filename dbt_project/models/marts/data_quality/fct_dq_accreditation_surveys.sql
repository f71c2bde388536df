with

dim_hospital as (

    select hospital_id
    from {{ ref('dim_hospital') }}

),

fct_dq_accreditation_hospitals as (

    select
        hospital_id,
        survey_year,
        is_score_change_flagged
    from {{ ref('fct_dq_accreditation_hospitals') }}

),

hospitals_expected as (

    select cast(count(*) as integer) as hospitals_expected
    from dim_hospital

),

surveys_counted as (

    select
        survey_year,
        cast(count(distinct hospital_id) as integer) as hospitals_surveyed,
        cast(count_if(is_score_change_flagged) as integer) as score_changes_flagged
    from fct_dq_accreditation_hospitals
    group by 1

),

completeness as (

    select
        surveys_counted.survey_year,
        hospitals_expected.hospitals_expected,
        surveys_counted.hospitals_surveyed,
        100.0 * surveys_counted.hospitals_surveyed
        / nullif(hospitals_expected.hospitals_expected, 0) as completeness_pct,
        surveys_counted.score_changes_flagged
    from surveys_counted
    cross join hospitals_expected

)

select * from completeness
