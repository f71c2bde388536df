"""DHIS2 period ids and analytics rounding, against DHIS2's documentation and dhis2-core.

Period ids: dhis2-docs ``src/developer/web-api/data.md``, the period types table (Monthly
``202303``, Quarterly ``2023Q1``, Yearly ``2023``, FinancialJuly ``2022July`` = July 2022 – June
2023). Rounding: dhis2-core ``MathUtils.getRounded`` (``Precision.round(value, 2)``, half up).
"""

from __future__ import annotations

import datetime as dt

import pytest

from tpn_metrics.sample.dhis2_periods import (
    dhis2_round,
    financial_july,
    java_double,
    monthly,
    quarterly,
    yearly,
)


def test_monthly_period() -> None:
    period = monthly(dt.date(2023, 3, 1))
    assert (period.period_id, period.period_type, period.name) == (
        "202303",
        "Monthly",
        "March 2023",
    )
    assert (period.start, period.end) == (dt.date(2023, 3, 1), dt.date(2023, 3, 31))


def test_quarterly_period() -> None:
    period = quarterly(2022, 4)
    assert period.period_id == "2022Q4" and period.name == "October - December 2022"
    assert (period.start, period.end) == (dt.date(2022, 10, 1), dt.date(2022, 12, 31))


def test_yearly_period() -> None:
    period = yearly(2021)
    assert period.period_id == "2021" and len(period.months) == 12
    assert (period.start, period.end) == (dt.date(2021, 1, 1), dt.date(2021, 12, 31))


def test_financial_july_is_rwandas_fiscal_year() -> None:
    period = financial_july(2022)
    assert (period.period_id, period.period_type) == ("2022July", "FinancialJuly")
    assert (period.start, period.end) == (dt.date(2022, 7, 1), dt.date(2023, 6, 30))
    assert period.name == "July 2022 - June 2023" and len(period.months) == 12


@pytest.mark.parametrize(
    ("value", "rounded"),
    [(81.125, 81.13), (74.7, 74.7), (2 / 3 * 100, 66.67), (0.005, 0.01), (100.0, 100.0)],
)
def test_rounding_is_two_decimals_half_up(value: float, rounded: float) -> None:
    assert dhis2_round(value) == rounded


def test_numbers_are_written_as_java_doubles() -> None:
    assert java_double(12) == "12.0" and java_double(81.25) == "81.25"
