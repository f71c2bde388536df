{#
    Rwanda's fiscal year (and RSSB's CBHI enrolment year) runs 1 July - 30 June.
    fiscal_year_start_date(d): the 1 July on or before d.
    fiscal_year_label(d): "2022/23" for any d from 2022-07-01 to 2023-06-30.
    first_friday_of_fiscal_year(d): the first Friday on or after that 1 July.
    week_of_fiscal_year(d): week n ends on the n-th Friday of the fiscal year; a report dated
        d belongs to the week ending on the Friday on or after d. So a Friday report is in
        week 1 + (days since the first Friday) / 7; week 1 may hold dates before the first
        Friday; the last week of a year can be 53.
#}
{% macro fiscal_year_start_date(date_expression) -%}
    make_date(
        cast(year({{ date_expression }}) as integer)
            - case when month({{ date_expression }}) < 7 then 1 else 0 end,
        7,
        1
    )
{%- endmacro %}

{% macro fiscal_year_label(date_expression) -%}
    (
        cast(year({{ fiscal_year_start_date(date_expression) }}) as varchar)
        || '/'
        || lpad(
            cast((year({{ fiscal_year_start_date(date_expression) }}) + 1) % 100 as varchar),
            2,
            '0'
        )
    )
{%- endmacro %}

{% macro friday_on_or_after(date_expression) -%}
    cast(
        {{ date_expression }}
        + to_days(cast((5 - isodow({{ date_expression }}) + 7) % 7 as integer))
        as date
    )
{%- endmacro %}

{% macro week_of_fiscal_year(date_expression) -%}
    cast(
        1 + date_diff(
            'day',
            {{ friday_on_or_after(fiscal_year_start_date(date_expression)) }},
            {{ friday_on_or_after(date_expression) }}
        ) // 7
        as integer
    )
{%- endmacro %}
