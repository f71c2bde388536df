with

stg_moh__accreditation_results as (

    select
        hospital_id,
        survey_year,
        district_id,
        hospital_category_received,
        level_1_score_pct,
        level_2_score_pct,
        level_3_score_pct,
        score_scale_received,
        source_file_sha256
    from {{ ref('stg_moh__accreditation_results') }}

),

dim_hospital as (

    select
        hospital_id,
        hospital_category
    from {{ ref('dim_hospital') }}

),

hospital_categories_resolved as (

    select
        results.hospital_id,
        results.survey_year,
        results.district_id,
        results.level_1_score_pct,
        results.level_2_score_pct,
        results.level_3_score_pct,
        results.score_scale_received,
        results.source_file_sha256,
        coalesce(results.hospital_category_received, hospitals.hospital_category)
            as hospital_category
    from stg_moh__accreditation_results as results
    left join dim_hospital as hospitals
        on results.hospital_id = hospitals.hospital_id

),

previous_surveys_joined as (

    select
        *,
        lag(survey_year) over hospital_surveys as previous_survey_year,
        lag(level_2_score_pct) over hospital_surveys as previous_level_2_score_pct
    from hospital_categories_resolved
    window hospital_surveys as (
        partition by hospital_id
        order by survey_year
    )

),

changes_computed as (

    select
        hospital_id,
        survey_year,
        district_id,
        hospital_category,
        level_1_score_pct,
        level_2_score_pct,
        level_3_score_pct,
        previous_survey_year,
        score_scale_received,
        source_file_sha256,
        level_2_score_pct - previous_level_2_score_pct as level_2_change_pp
    from previous_surveys_joined

)

select * from changes_computed
