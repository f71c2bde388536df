"""The calendar's rules, by hand: fiscal years (1 July – 30 June), weeks, census dates."""

from __future__ import annotations

import datetime as dt

import pytest
import yaml

from tpn_metrics import calendar
from tpn_metrics.calendar import (
    closes_fiscal_year,
    fiscal_week,
    fiscal_year_end,
    fiscal_year_label_of,
    fiscal_year_start,
    fiscal_year_start_year,
    fiscal_year_starts_between,
    opens_fiscal_year,
    previous_fiscal_year_label,
    week_of_fiscal_year,
)
from tpn_metrics.settings import Settings


def test_fiscal_year_runs_july_to_june():
    assert fiscal_year_label_of(dt.date(2023, 3, 24)) == "2022/23"
    assert fiscal_year_label_of(dt.date(2023, 7, 7)) == "2023/24"
    assert fiscal_year_label_of(dt.date(2023, 6, 30)) == "2022/23"
    assert fiscal_year_label_of(dt.date(1999, 7, 1)) == "1999/00"
    assert fiscal_year_start_year(dt.date(2023, 6, 30)) == 2022
    assert fiscal_year_start(dt.date(2023, 6, 30)) == dt.date(2022, 7, 1)
    assert fiscal_year_end(dt.date(2022, 7, 1)) == dt.date(2023, 6, 30)
    assert previous_fiscal_year_label("2022/23") == "2021/22"
    assert previous_fiscal_year_label("FY 2022") is None


def test_the_week_of_the_fiscal_year_counts_from_1_july():
    assert fiscal_week(dt.date(2022, 7, 1)) == 0
    assert fiscal_week(dt.date(2022, 7, 8)) == 1
    assert fiscal_week(dt.date(2022, 6, 30)) == 52  # 364 days after 2021-07-01
    assert fiscal_week(dt.date(2022, 6, 24)) == 51
    # The paper's 23 March of two years: weeks 37 and 37 (2021 and 2023 are not leap years).
    assert fiscal_week(dt.date(2021, 3, 23)) == fiscal_week(dt.date(2023, 3, 23)) == 37


def test_week_of_fiscal_year_counts_from_first_of_july() -> None:
    assert week_of_fiscal_year(dt.date(2022, 7, 1)) == 0
    assert week_of_fiscal_year(dt.date(2022, 7, 8)) == 1
    assert week_of_fiscal_year(dt.date(2023, 3, 24)) == 38
    assert week_of_fiscal_year(dt.date(2023, 6, 30)) == 52
    assert week_of_fiscal_year(dt.date(2023, 7, 7)) == 6 / 7


@pytest.mark.parametrize(
    ("friday", "opens", "closes"),
    [
        (dt.date(2022, 7, 1), True, False),
        (dt.date(2022, 7, 8), False, False),
        (dt.date(2023, 6, 23), False, False),
        (dt.date(2023, 6, 30), False, True),
        (dt.date(2023, 7, 7), True, False),
    ],
)
def test_first_and_last_reports_of_a_fiscal_year(friday: dt.date, opens: bool, closes: bool):
    assert opens_fiscal_year(friday) is opens
    assert closes_fiscal_year(friday) is closes


def test_fiscal_year_starts_strictly_inside_a_span():
    assert fiscal_year_starts_between(dt.date(2020, 7, 1), dt.date(2022, 7, 1)) == [
        dt.date(2021, 7, 1),
        dt.date(2022, 7, 1),
    ]
    assert fiscal_year_starts_between(dt.date(2021, 1, 1), dt.date(2021, 6, 30)) == []


def test_census_dates_and_other_scheme_share_are_dbts_vars():
    """Python reads what dbt owns: change dbt_project.yml, and Python follows."""
    project = yaml.safe_load((Settings().dbt_project_dir / "dbt_project.yml").read_text())
    variables = project["vars"]
    assert calendar.CENSUS_2012_DATE.isoformat() == variables["census_2012_date"]
    assert calendar.CENSUS_2022_DATE.isoformat() == variables["census_2022_date"]
    assert variables["cbhi_other_scheme_share_default"] == calendar.OTHER_SCHEME_SHARE_DEFAULT
