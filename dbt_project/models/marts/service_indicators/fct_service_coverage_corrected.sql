{#
    Population-based DHIS2 indicators (var population_based_indicators: ANC 1st visit
    coverage for now) set beside the same numerator over a census-based denominator, per
    district and month.

        expected_pregnancies_census = population_projected x CBR(year) / 1000
                                      x days_in_month / days_in_year
        coverage_corrected_pct      = numerator / expected_pregnancies_census x 100     (%)
        coverage_difference_pp      = coverage_corrected_pct - coverage_dhis2_pct       (pp)

    The year's expected births are shared out by days, as DHIS2 annualizes (dhis2-core
    DefaultExpressionService: x days in the period / days in the year): a 31-day month of a
    365-day year carries 31/365 of them, February 28/365 (29/366 in a leap year), not 1/12.
    population_projected: the district's geometric census projection to the month's 15th
    (int_district_populations_projected_monthly; the central value, as for CBHI).
    CBR(year): crude_birth_rates for the month's calendar year; years after the seed's last
    (2020) use the last year's rate, years before its first the first year's; the year used
    is crude_birth_rate_year. Expected pregnancies are APPROXIMATED BY EXPECTED LIVE BIRTHS:
    no pregnancy-loss factor is applied (WHO / DHIS2 set-ups often inflate live births by a
    fixed factor for miscarriages and stillbirths; we do not), so the corrected coverage is
    an upper bound in that respect.
    Only monthly district rows with both a numerator and a denominator take part (the DHIS2
    value, its ANC 1st visits and its own expected pregnancies).
#}

{%- set population_based = var('population_based_indicators') %}

with

int_dhis2__indicators_resolved as (

    select
        institution_kind,
        district_id,
        item_code,
        period_id,
        period_type,
        period_start,
        value,
        numerator,
        denominator
    from {{ ref('int_dhis2__indicators_resolved') }}

),

int_district_populations_projected_monthly as (

    select
        district_id,
        month_start,
        projected_population_geometric
    from {{ ref('int_district_populations_projected_monthly') }}

),

crude_birth_rates as (

    select
        year,
        crude_birth_rate_per_1000
    from {{ ref('crude_birth_rates') }}

),

birth_rate_years_bounded as (

    select
        min(year) as first_year,
        max(year) as last_year
    from crude_birth_rates

),

district_months as (

    select
        district_id,
        item_code,
        period_id,
        period_start as month_start,
        numerator,
        denominator as denominator_dhis2,
        value as coverage_dhis2_pct
    from int_dhis2__indicators_resolved
    where
        institution_kind = 'district'
        and period_type = 'Monthly'
        and item_code in (
            {%- for code in population_based %}
            '{{ code }}'{% if not loop.last %},{% endif %}
            {%- endfor %}
            {%- if not population_based %}null{% endif %}
        )
        and numerator is not null
        and denominator is not null
        and value is not null

),

birth_rates_chosen as (

    select
        months.district_id,
        months.item_code,
        months.period_id,
        cast(
            least(greatest(year(months.month_start), bounds.first_year), bounds.last_year)
            as integer
        ) as crude_birth_rate_year
    from district_months as months
    cross join birth_rate_years_bounded as bounds

),

expected_pregnancies_computed as (

    select
        months.district_id,
        months.item_code,
        months.period_id,
        months.month_start,
        months.numerator,
        months.denominator_dhis2,
        months.coverage_dhis2_pct,
        cast(populations.projected_population_geometric as bigint) as population_projected,
        rates.crude_birth_rate_per_1000,
        chosen.crude_birth_rate_year,
        cast(day(last_day(months.month_start)) as integer) as days_in_month,
        cast(dayofyear(make_date(year(months.month_start), 12, 31)) as integer)
            as days_in_year,
        cast(populations.projected_population_geometric as double)
        * rates.crude_birth_rate_per_1000 / 1000.0
        * day(last_day(months.month_start))
        / dayofyear(make_date(year(months.month_start), 12, 31))
            as expected_pregnancies_census
    from district_months as months
    inner join birth_rates_chosen as chosen
        on months.district_id = chosen.district_id
            and months.item_code = chosen.item_code
            and months.period_id = chosen.period_id
    inner join crude_birth_rates as rates
        on chosen.crude_birth_rate_year = rates.year
    inner join int_district_populations_projected_monthly as populations
        on months.district_id = populations.district_id
            and months.month_start = populations.month_start

),

coverage_corrected as (

    select
        district_id,
        item_code,
        period_id,
        month_start,
        numerator,
        denominator_dhis2,
        coverage_dhis2_pct,
        population_projected,
        crude_birth_rate_per_1000,
        crude_birth_rate_year,
        days_in_month,
        days_in_year,
        expected_pregnancies_census,
        numerator / expected_pregnancies_census * 100.0 as coverage_corrected_pct,
        numerator / expected_pregnancies_census * 100.0 - coverage_dhis2_pct
            as coverage_difference_pp
    from expected_pregnancies_computed
    where expected_pregnancies_census > 0

)

select * from coverage_corrected
