"""The emails around 1 July, on the real marts: the last Friday of FY 2022/23 (30 June 2023)
and the first of FY 2023/24 (7 July 2023, counts restarted on 1 July).

The session warehouse (up to 23 June) gets the sample's 30 June file and a 7 July file whose
members are about 1 % of the target, as RSSB's first report of a year; one ``tpn build``.
"""

from __future__ import annotations

import datetime as dt

import pytest

from tests.emails.support import HELD_BACK, SampleWeeks, week_rows, write_rssb_file
from tpn_metrics.dbt_runner import dbt_build_in_place
from tpn_metrics.emails.content import render_district_email
from tpn_metrics.emails.district_figures import district_weeks
from tpn_metrics.emails.labels import LABELS
from tpn_metrics.emails.week import DistrictWeek
from tpn_metrics.ingest.intake import ingest_paths
from tpn_metrics.settings import Settings
from tpn_metrics.warehouse import open_warehouse

pytestmark = pytest.mark.slow

FIRST_OF_FY = dt.date(2023, 7, 7)


def _plain(week: DistrictWeek, language: str) -> str:
    message = render_district_email(
        week, recipients=["dhmt@example.org"], sender="tpn@example.org", language=language
    )
    part = message.get_body(("plain",))
    assert part is not None
    return part.get_content().replace("\r\n", "\n")


def test_the_emails_either_side_of_1_july(sample_weeks: SampleWeeks, settings: Settings) -> None:
    assert ingest_paths([sample_weeks.files[HELD_BACK]], settings)[0].status == "loaded"
    rows = week_rows(settings, sample_weeks.latest)
    for row in rows:
        row["members_paid"] = round(int(row["target_population"]) * 0.012)
        row["households_paid"] = round(row["members_paid"] / 4.3)
    path = write_rssb_file(settings.home / "first_of_fy_2023-07-07.csv", FIRST_OF_FY, rows)
    assert ingest_paths([path], settings)[0].status == "loaded"
    dbt_build_in_place(settings)

    with open_warehouse(settings.warehouse_path, read_only=True) as con:
        first = district_weeks(con, FIRST_OF_FY)
        last = district_weeks(con, HELD_BACK)
    assert len(first) == len(last) == 30

    for week in first:
        # Last Friday's report (30 June) is loaded, but belongs to the previous year.
        assert week.fiscal_year == "2023/24"
        assert week.members_paid_change_week is None
        assert week.coverage_change_week_pp is None
        assert week.projected_year_end_coverage_pct is None
        assert [d for d, _ in week.trajectory_this_fy] == [FIRST_OF_FY]
        # The chart's dashed line: the whole of last year, up to and including 30 June.
        assert week.trajectory_last_fy[-1][0] == HELD_BACK
        assert len(week.trajectory_last_fy) >= 2
        for language, labels in LABELS.items():
            text = _plain(week, language)
            restart = labels["change_week_new_fiscal_year"].format(fiscal_year="2023/24")
            assert f"{labels['change_week']}:\n  {restart}\n" in text, (week.district_id, language)
            assert labels["change_week_unavailable"] not in text
            pace = labels["projection_new_fiscal_year"].format(fiscal_year="2023/24")
            assert f"\n  {pace}\n" in text

    for week in last:
        assert week.fiscal_year == "2022/23"
        for language, labels in LABELS.items():
            text = _plain(week, language)
            year_end = labels["date_format"].format(day=30, month=labels["month_6"], year=2023)
            assert labels["projection"].format(date=year_end) not in text
            assert labels["projection_year_ended"].format(date=year_end) in text
        # A row equal on both targets says it holds for both; none is left unlabelled.
        if week.reported is not None:
            text = _plain(week, "en")
            for row_label in ("Change since last Friday:", "National coverage:"):
                first_line = text.split(row_label + "\n", 1)[1].splitlines()[0]
                assert first_line.startswith(
                    ("  Census-based: ", "  Census-based and as reported by RSSB: ")
                ), (week.district_id, first_line)
