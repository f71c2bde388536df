with

file_ledger as (

    select
        file_sha256,
        file_name,
        kind,
        received_at,
        status,
        reason,
        warnings,
        row_count,
        period_key,
        superseded_by,
        stored_path,
        xlsx_sheet,
        delivered_at,
        due_at,
        is_backfill
    from {{ source('landing', 'file_ledger') }}

),

renamed as (

    select
        file_sha256,
        file_name,
        kind as file_kind,
        received_at,
        status as file_status,
        reason as status_reason,
        warnings as load_warnings,
        row_count,
        period_key,
        superseded_by as superseded_by_file_sha256,
        stored_path,
        xlsx_sheet,
        delivered_at,
        due_at,
        is_backfill,
        superseded_by is not null as is_superseded
    from file_ledger

)

select * from renamed
