"""DHIS2 period ids to exact dates, checked against a table worked out by hand.

Sources: dhis2/dhis2-docs ``src/developer/web-api/overview.md`` § "Date and period format"
(table "Period format": ``2004W10``, ``200401B``, ``2004AprilS1`` = April–September 2004,
``2004July`` = July 2004–June 2005...), ``data.md`` § "ADX period definitions" (Financial July
= ``2017-07-01/P1Y``), and dhis2-core ``org.hisp.dhis.period`` (``PeriodTypeEnum`` names;
``FinancialNovemberPeriodType.getIsoDate`` names a November year after the year it *ends*).
ISO 8601 weeks: week 1 holds the year's first Thursday.
"""

from __future__ import annotations

import datetime as dt

import pytest

from tpn_metrics.ingest.dhis2_periods import PeriodError, parse_period

D = dt.date

# id, DHIS2 period type, first day, last day: each worked out on a calendar.
TABLE = [
    ("20230301", "Daily", D(2023, 3, 1), D(2023, 3, 1)),
    ("20240229", "Daily", D(2024, 2, 29), D(2024, 2, 29)),  # leap day
    ("2023W5", "Weekly", D(2023, 1, 30), D(2023, 2, 5)),
    ("2023W1", "Weekly", D(2023, 1, 2), D(2023, 1, 8)),  # 1 Jan 2023 is a Sunday: week 52 of 2022
    ("2021W1", "Weekly", D(2021, 1, 4), D(2021, 1, 10)),  # 1 Jan 2021 is a Friday
    ("2020W53", "Weekly", D(2020, 12, 28), D(2021, 1, 3)),  # 2020 starts on a Wednesday (leap)
    ("2015W53", "Weekly", D(2015, 12, 28), D(2016, 1, 3)),  # 2015 starts on a Thursday
    ("2024W1", "Weekly", D(2024, 1, 1), D(2024, 1, 7)),  # 1 Jan 2024 is a Monday
    ("2026W1", "Weekly", D(2025, 12, 29), D(2026, 1, 4)),  # 1 Jan 2026 is a Thursday
    ("202303", "Monthly", D(2023, 3, 1), D(2023, 3, 31)),
    ("202302", "Monthly", D(2023, 2, 1), D(2023, 2, 28)),
    ("202402", "Monthly", D(2024, 2, 1), D(2024, 2, 29)),  # leap year
    ("190002", "Monthly", D(1900, 2, 1), D(1900, 2, 28)),  # 1900: not a leap year
    ("200002", "Monthly", D(2000, 2, 1), D(2000, 2, 29)),  # 2000: a leap year
    ("202301B", "BiMonthly", D(2023, 1, 1), D(2023, 2, 28)),
    ("202401B", "BiMonthly", D(2024, 1, 1), D(2024, 2, 29)),
    ("202306B", "BiMonthly", D(2023, 11, 1), D(2023, 12, 31)),
    ("2023Q1", "Quarterly", D(2023, 1, 1), D(2023, 3, 31)),
    ("2023Q4", "Quarterly", D(2023, 10, 1), D(2023, 12, 31)),
    ("2023S1", "SixMonthly", D(2023, 1, 1), D(2023, 6, 30)),
    ("2023S2", "SixMonthly", D(2023, 7, 1), D(2023, 12, 31)),
    ("2023AprilS1", "SixMonthlyApril", D(2023, 4, 1), D(2023, 9, 30)),
    ("2023AprilS2", "SixMonthlyApril", D(2023, 10, 1), D(2024, 3, 31)),
    ("2023", "Yearly", D(2023, 1, 1), D(2023, 12, 31)),
    ("2022April", "FinancialApril", D(2022, 4, 1), D(2023, 3, 31)),
    ("2022July", "FinancialJuly", D(2022, 7, 1), D(2023, 6, 30)),  # Rwanda FY 2022/23
    ("2023July", "FinancialJuly", D(2023, 7, 1), D(2024, 6, 30)),  # ends after a leap February
    ("2022Oct", "FinancialOct", D(2022, 10, 1), D(2023, 9, 30)),
    ("2023Nov", "FinancialNov", D(2022, 11, 1), D(2023, 10, 31)),
]


@pytest.mark.parametrize(("period_id", "period_type", "start", "end"), TABLE)
def test_period_ids_give_dhis2_type_and_exact_dates(period_id, period_type, start, end):
    period = parse_period(period_id)
    assert (period.period_id, period.period_type, period.start, period.end) == (
        period_id,
        period_type,
        start,
        end,
    )


def test_financial_july_is_rwandas_fiscal_year():
    from tpn_metrics.calendar import fiscal_year_start

    period = parse_period("2022July")
    assert fiscal_year_start(period.start) == period.start
    assert fiscal_year_start(period.end) == period.start


@pytest.mark.parametrize(
    ("period_id", "why"),
    [
        ("2023-03", "is not a DHIS2 period id"),
        ("202313", "names month 13; a year has months 1–12"),
        ("202300", "names month 0"),
        ("2023Q5", "names quarter 5; a year has quarters 1–4"),
        ("2023S3", "names half-year 3"),
        ("202307B", "names bi-month 7"),
        ("2021W53", "names week 53; a year has weeks 1–52"),  # 2021 has 52 ISO weeks
        ("2023W0", "names week 0"),
        ("20230229", "is not a real day"),  # 2023 is not a leap year
        ("2023WedW5", "is not a DHIS2 period id"),  # weeks from Wednesday: not read here
        ("March 2023", "is not a DHIS2 period id"),
        ("", "is not a DHIS2 period id"),
    ],
)
def test_ids_that_do_not_parse_say_why(period_id: str, why: str):
    with pytest.raises(PeriodError, match=why):
        parse_period(period_id)


@pytest.mark.parametrize("period_id", ["٢٠٢٣٠٣", "２０２３Q1", "2023W５", "٢٠٢٣"])
def test_only_ascii_digits_make_a_period(period_id: str):
    # Python's \d takes any Unicode digit ("٢٠٢٣" is 2023 in Arabic-Indic digits); DHIS2's
    # ISO period ids are ASCII (overview.md § "Date and period format").
    with pytest.raises(PeriodError, match="is not a DHIS2 period id"):
        parse_period(period_id)
