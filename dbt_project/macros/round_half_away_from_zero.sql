{#
    Round a number to an integer, halves away from zero (2.5 -> 3, -2.5 -> -3), as BIGINT.

    DuckDB's round() on a DOUBLE is C's round(), which rounds halves away from zero and is
    exact (no "+ 0.5 then floor" error). Python reproduces it with
    int(Decimal(x).quantize(Decimal(1), rounding=ROUND_HALF_UP)) on the same float x.
#}
{% macro round_half_away_from_zero(expression) -%}
    cast(round(cast({{ expression }} as double)) as bigint)
{%- endmacro %}
