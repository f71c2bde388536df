"""Periods: parsed as a year, a month or a day, and checked against what is loaded."""

from __future__ import annotations

import datetime as dt

import duckdb
import pandas as pd
import pytest

from tpn_metrics.evaluation.periods import (
    PeriodError,
    accreditation_years,
    cbhi_report_dates,
    parse_period,
)


@pytest.fixture
def con() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("create schema marts")
    con.execute(
        "create table marts.fct_accreditation as "
        "select * from (values (2021), (2022), (2023)) t(survey_year)"
    )
    # Fridays of 2021, with no report in May and June (a gap of nine weeks).
    fridays = [
        d.date()
        for d in pd.date_range("2021-01-01", "2021-12-31", freq="W-FRI")
        if d.month not in (5, 6)
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
    asked, reports = cbhi_report_dates(
        con, "2021-03-23", "2021-10-01", max_distance_days=14, same_date="03-23"
    )
    assert asked == (dt.date(2021, 3, 23), dt.date(2021, 10, 1))
    assert reports == (dt.date(2021, 3, 26), dt.date(2021, 10, 1))


def test_cbhi_dates_outside_the_loaded_reports_are_refused(con):
    with pytest.raises(PeriodError, match=r"2030-01-01 is outside the loaded CBHI reports"):
        cbhi_report_dates(con, "2030-01-01", "2031-01-01", max_distance_days=14)
    # The defaults (the paper's 2021 and 2023) need 2023 reports, which are not loaded.
    with pytest.raises(PeriodError, match="2023-03-23 is outside"):
        cbhi_report_dates(con, None, None, max_distance_days=14)


def test_a_far_nearest_report_is_refused_at_the_threshold(con):
    # 2021-05-28 is 28 days from both 2021-04-30 and 2021-07-02.
    with pytest.raises(PeriodError, match=r"28 days away \(more than 14"):
        cbhi_report_dates(con, "2021-05-28", "2021-10-01", max_distance_days=14)
    _, reports = cbhi_report_dates(con, "2021-05-28", "2021-10-01", max_distance_days=28)
    assert reports[0] == dt.date(2021, 4, 30)  # the earlier one on a tie


def test_reversed_or_coinciding_cbhi_dates_are_refused(con):
    with pytest.raises(PeriodError, match="not before"):
        cbhi_report_dates(con, "2021-10-01", "2021-03-05", max_distance_days=14)
    with pytest.raises(PeriodError, match="both fall on the report of 2021-03-26"):
        cbhi_report_dates(con, "2021-03-24", "2021-03-25", max_distance_days=14)
    with pytest.raises(PeriodError, match="weekly reports: give a day such as 2021-03-23"):
        cbhi_report_dates(con, "2021-03", None, max_distance_days=14)
