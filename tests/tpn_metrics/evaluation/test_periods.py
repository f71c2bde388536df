"""Periods: parsed as a year, a month or a day, and checked against what is loaded."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import duckdb
import pandas as pd
import pytest

from tpn_metrics.calendar import fiscal_week
from tpn_metrics.evaluation.periods import (
    PeriodError,
    PeriodRules,
    accreditation_years,
    cbhi_report_dates,
    parse_period,
)

# The rules these tests state (the product reads them from dbt's vars: PeriodRules.from_vars).
RULES = PeriodRules(max_report_distance_days=14, max_fiscal_week_distance=4, same_date="03-23")


@pytest.fixture
def con() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("create schema marts")
    con.execute(
        "create table marts.fct_accreditation as "
        "select * from (values (2021), (2022), (2023)) t(survey_year)"
    )
    # Fridays of 2021 and 2022, with no report in May and June 2021 (a gap of nine weeks).
    fridays = [
        d.date()
        for d in pd.date_range("2021-01-01", "2022-12-31", freq="W-FRI")
        if not (d.year == 2021 and d.month in (5, 6))
    ]
    con.register("fridays", pd.DataFrame({"report_date": fridays}))
    con.execute("create table marts.fct_cbhi_weekly as select * from fridays")
    return con


def test_a_period_is_a_year_a_month_or_a_day():
    assert parse_period("2021").granularity == "year"
    month = parse_period("2021-03")
    assert (month.granularity, month.start) == ("month", dt.date(2021, 3, 1))
    assert parse_period(" 2021-03-23 ").start == dt.date(2021, 3, 23)
    with pytest.raises(PeriodError, match="not a real date"):
        parse_period("2021-02-30")
    with pytest.raises(PeriodError, match=r"write a year .* a month .* or a day"):
        parse_period("March 2021")


def test_accreditation_years_must_have_a_survey_and_be_in_order(con):
    assert accreditation_years(con, None, None) == (2021, 2023)
    assert accreditation_years(con, "2022", None) == (2022, 2023)
    with pytest.raises(PeriodError, match="no accreditation survey for 2019: surveys loaded"):
        accreditation_years(con, "2019", None)
    with pytest.raises(PeriodError, match="not before"):
        accreditation_years(con, "2023", "2021")
    with pytest.raises(PeriodError, match="not before"):
        accreditation_years(con, "2022", "2022")
    with pytest.raises(PeriodError, match="give a year such as 2021, not '2021-03'"):
        accreditation_years(con, "2021-03", None)


def test_cbhi_dates_resolve_to_near_reports(con):
    asked, reports = cbhi_report_dates(con, "2021-03-23", "2022-03-23", rules=RULES)
    assert asked == (dt.date(2021, 3, 23), dt.date(2022, 3, 23))
    assert reports == (dt.date(2021, 3, 26), dt.date(2022, 3, 25))


def test_cbhi_dates_outside_the_loaded_reports_are_refused(con):
    with pytest.raises(PeriodError, match=r"2030-01-01 is outside the loaded CBHI reports"):
        cbhi_report_dates(con, "2030-01-01", "2031-01-01", rules=RULES)
    # The defaults (the paper's 2021 and 2023) need 2023 reports, which are not loaded.
    with pytest.raises(PeriodError, match="2023-03-23 is outside"):
        cbhi_report_dates(con, None, None, rules=RULES)


def test_a_far_nearest_report_is_refused_at_the_threshold(con):
    # 2021-05-28 is 28 days from both 2021-04-30 and 2021-07-02.
    with pytest.raises(PeriodError, match=r"28 days away \(more than 14"):
        cbhi_report_dates(con, "2021-05-28", "2022-05-27", rules=RULES)
    _, reports = cbhi_report_dates(
        con, "2021-05-28", "2022-05-27", rules=replace(RULES, max_report_distance_days=28)
    )
    assert reports[0] == dt.date(2021, 4, 30)  # the earlier one on a tie


def test_reversed_or_coinciding_cbhi_dates_are_refused(con):
    with pytest.raises(PeriodError, match="not before"):
        cbhi_report_dates(con, "2021-10-01", "2021-03-05", rules=RULES)
    with pytest.raises(PeriodError, match="both fall on the report of 2021-03-26"):
        cbhi_report_dates(con, "2021-03-24", "2021-03-25", rules=RULES)
    with pytest.raises(PeriodError, match="weekly reports: give a day such as 2021-03-23"):
        cbhi_report_dates(con, "2021-03", None, rules=RULES)


def test_reports_at_different_points_of_the_fiscal_year_are_refused(con):
    """Coverage is cumulative from each 1 July: 2021-06-25 → 2021-07-09 would compare a whole
    year's enrolment with two weeks'."""
    with pytest.raises(PeriodError) as refused:
        cbhi_report_dates(con, "2021-07-09", "2022-01-07", rules=RULES)
    message = str(refused.value)
    assert message == (
        "the CBHI reports of 2021-07-09 (week 1 of its fiscal year) and 2022-01-07 (week 27) "
        "are 26 weeks apart in the fiscal year (more than 4, dbt var "
        "evaluation_max_fiscal_week_distance): coverage restarts each 1 July, so compare the "
        "same point of two fiscal years"
    )
    assert "\n" not in message
    # Across the 1 July restart: 2022-06-24 is week 51, 2022-07-08 week 1.
    with pytest.raises(
        PeriodError, match=r"2022-06-24 \(week 51 .*2022-07-08 \(week 1\) are 50 weeks apart"
    ):
        cbhi_report_dates(con, "2022-06-24", "2022-07-08", rules=RULES)
    # At the threshold: 4 weeks apart passes, 5 is refused; a larger threshold lets it pass.
    _, reports = cbhi_report_dates(con, "2021-03-26", "2022-04-22", rules=RULES)
    assert [fiscal_week(r) for r in reports] == [38, 42]
    with pytest.raises(PeriodError, match="5 weeks apart"):
        cbhi_report_dates(con, "2021-03-26", "2022-04-29", rules=RULES)
    cbhi_report_dates(
        con, "2021-03-26", "2022-04-29", rules=replace(RULES, max_fiscal_week_distance=5)
    )
