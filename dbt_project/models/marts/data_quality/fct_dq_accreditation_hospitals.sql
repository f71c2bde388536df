with

fct_accreditation as (

    select
        hospital_id,
        survey_year,
        district_id,
        level_2_change_pp
    from {{ ref('fct_accreditation') }}

),

flagged as (

    select
        hospital_id,
        cast(survey_year as integer) as survey_year,
        district_id,
        level_2_change_pp,
        coalesce(
            abs(level_2_change_pp) > {{ var('dq_accreditation_score_change_pp') }}, false
        ) as is_score_change_flagged
    from fct_accreditation

)

select * from flagged
