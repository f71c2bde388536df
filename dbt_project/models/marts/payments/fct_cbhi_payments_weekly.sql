with

payments as (

    select
        district_id,
        household_key,
        channel,
        members,
        amount_rwf,
        paid_at
    from {{ ref('stg_payments__payments') }}

),

weeks_assigned as (

    -- A payment counts in the Friday report that first includes it: Saturday and Sunday
    -- payments belong to the following Friday.
    select
        *,
        {{ friday_on_or_after('cast(paid_at as date)') }} as report_date
    from payments

),

fiscal_years_assigned as (

    select
        *,
        {{ fiscal_year_start_date('report_date') }} as fiscal_year_start_date
    from weeks_assigned

),

aggregated as (

    select
        district_id,
        report_date,
        fiscal_year_start_date,
        count(*) as payment_count,
        count(distinct household_key) as household_count,
        sum(members) as members_paid_week,
        sum(amount_rwf) as amount_rwf_week,
        count(*) filter (where channel = 'umurenge_sacco') as payments_umurenge_sacco,
        count(*) filter (where channel = 'irembo') as payments_irembo,
        count(*) filter (where channel = 'mobile_money') as payments_mobile_money,
        count(*) filter (where channel = 'mobicash') as payments_mobicash
    from fiscal_years_assigned
    group by 1, 2, 3

),

cumulated as (

    select
        *,
        sum(members_paid_week) over (
            partition by district_id, fiscal_year_start_date
            order by report_date
            rows between unbounded preceding and current row
        ) as members_paid_cumulative,
        sum(amount_rwf_week) over (
            partition by district_id, fiscal_year_start_date
            order by report_date
            rows between unbounded preceding and current row
        ) as amount_rwf_cumulative
    from aggregated

),

final as (

    select
        district_id,
        report_date,
        fiscal_year_start_date,
        payment_count,
        household_count,
        members_paid_week,
        amount_rwf_week,
        members_paid_cumulative,
        amount_rwf_cumulative,
        payments_umurenge_sacco,
        payments_irembo,
        payments_mobile_money,
        payments_mobicash
    from cumulated

)

select * from final
