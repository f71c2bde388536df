{#
    Fails for every combination of `combination_of_columns` that appears more than once.
    A stand-in for dbt_utils.unique_combination_of_columns (no dbt packages offline):
        data_tests:
          - unique_combination_of_columns:
              arguments:
                combination_of_columns: [district_id, report_date]
#}
{% test unique_combination_of_columns(model, combination_of_columns) %}

    {%- set column_list = combination_of_columns | join(', ') %}

    select
        {{ column_list }},
        count(*) as row_count
    from {{ model }}
    group by {{ column_list }}
    having count(*) > 1

{% endtest %}
