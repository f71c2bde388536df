{#
    Hospitals expected in survey year Y: those surveyed in Y or in an earlier survey year (the
    accreditation's panel so far). dim_hospital cannot say it: it lists hospitals MOH does not
    accredit (in the demo 12 of its 54 never appear in a survey), and nothing says which.
#}

with

fct_dq_accreditation_hospitals as (

    select
        hospital_id,
        survey_year,
        is_score_change_flagged
    from {{ ref('fct_dq_accreditation_hospitals') }}

),

first_surveys as (

    select
        hospital_id,
        min(survey_year) as first_survey_year
    from fct_dq_accreditation_hospitals
    group by 1

),

surveys_counted as (

    select
        survey_year,
        cast(count(distinct hospital_id) as integer) as hospitals_surveyed,
        cast(count_if(is_score_change_flagged) as integer) as score_changes_flagged
    from fct_dq_accreditation_hospitals
    group by 1

),

hospitals_expected as (

    select
        surveys_counted.survey_year,
        cast(count(*) as integer) as hospitals_expected
    from surveys_counted
    inner join first_surveys
        on surveys_counted.survey_year >= first_surveys.first_survey_year
    group by 1

),

completeness as (

    select
        surveys_counted.survey_year,
        hospitals_expected.hospitals_expected,
        surveys_counted.hospitals_surveyed,
        surveys_counted.score_changes_flagged,
        100.0 * surveys_counted.hospitals_surveyed
        / nullif(hospitals_expected.hospitals_expected, 0) as completeness_pct
    from surveys_counted
    inner join hospitals_expected
        on surveys_counted.survey_year = hospitals_expected.survey_year

)

select * from completeness
