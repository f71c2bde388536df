with

accreditation_results as (

    select
        file_sha256,
        survey_year,
        hospital_id,
        hospital_name_received,
        district_id,
        hospital_category,
        level_1_score_pct,
        level_2_score_pct,
        level_3_score_pct,
        score_scale,
        loaded_at,
        is_superseded
    from {{ source('moh', 'accreditation_results') }}

),

superseded_removed as (

    select * from accreditation_results
    where not is_superseded

),

renamed as (

    select
        hospital_id,
        survey_year,
        district_id,
        hospital_name_received,
        hospital_category as hospital_category_received,
        level_1_score_pct,
        level_2_score_pct,
        level_3_score_pct,
        score_scale as score_scale_received,
        file_sha256 as source_file_sha256,
        loaded_at
    from superseded_removed

)

select * from renamed
