{#
    The census interpolation, written once: int_district_populations_projected (RSSB report
    dates) and int_district_populations_projected_monthly (DHIS2 months) both use it.

    census_interval_fraction(date_expression): f, the date's position between the two
        censuses, d0 = var census_2012_date and d1 = var census_2022_date:
        f = (date - d0 in days) / (d1 - d0 in days), DOUBLE; 0 at 2012, 1 at 2022, > 1 after.

    projected_population(method, fraction='census_interval_fraction',
                         population_2012='population_2012', population_2022='population_2022'):
        linear      = P2012 + (P2022 - P2012) * f
        geometric   = P2012 * (P2022 / P2012) ^ f
        exponential = P2012 * exp(ln(P2022 / P2012) * f)
        each rounded half away from zero to the person (round_half_away_from_zero), in DOUBLE
        arithmetic so Python reproduces it with the same float operations.
#}
{% macro census_interval_fraction(date_expression) -%}
    {%- set census_2012_date = "date '" ~ var('census_2012_date') ~ "'" -%}
    {%- set census_2022_date = "date '" ~ var('census_2022_date') ~ "'" -%}
    cast(date_diff('day', {{ census_2012_date }}, {{ date_expression }}) as double)
        / cast(date_diff('day', {{ census_2012_date }}, {{ census_2022_date }}) as double)
{%- endmacro %}

{% macro projected_population(
    method,
    fraction='census_interval_fraction',
    population_2012='population_2012',
    population_2022='population_2022'
) -%}
    {%- set p0 = 'cast(' ~ population_2012 ~ ' as double)' -%}
    {%- set p1 = 'cast(' ~ population_2022 ~ ' as double)' -%}
    {%- if method == 'linear' -%}
        {{ round_half_away_from_zero(
            p0 ~ ' + cast(' ~ population_2022 ~ ' - ' ~ population_2012 ~ ' as double) * ' ~ fraction
        ) }}
    {%- elif method == 'geometric' -%}
        {{ round_half_away_from_zero(p0 ~ ' * power(' ~ p1 ~ ' / ' ~ p0 ~ ', ' ~ fraction ~ ')') }}
    {%- elif method == 'exponential' -%}
        {{ round_half_away_from_zero(
            p0 ~ ' * exp(ln(' ~ p1 ~ ' / ' ~ p0 ~ ') * ' ~ fraction ~ ')'
        ) }}
    {%- else -%}
        {{ exceptions.raise_compiler_error(
            "projected_population: method must be linear, geometric or exponential, not '"
            ~ method ~ "'"
        ) }}
    {%- endif -%}
{%- endmacro %}
