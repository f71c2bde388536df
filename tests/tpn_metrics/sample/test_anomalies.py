"""The injected data-quality anomalies, on a small hand-made CBHI series whose every figure
can be computed by hand."""

from __future__ import annotations

import datetime as dt
import itertools

import numpy as np
import pytest

from tpn_metrics.calendar import fiscal_year_start_year
from tpn_metrics.ingest.rssb import COVERAGE_TOLERANCE_PP
from tpn_metrics.lateness import FileDeadline
from tpn_metrics.sample.anomalies import (
    COVERAGE_GAP_PP,
    COVERAGE_REPORT_DATE,
    LATE_REPORT_DATE,
    MISSING_REPORT_DATE,
    SPIKE_REPORT_DATE,
    TARGET_JUMP,
    inject,
    pick_districts,
)
from tpn_metrics.sample.cbhi import CbhiSample, Correction, StaleTarget, WeeklyRow
from tpn_metrics.sample.timeline import FIRST_REPORT, LAST_REPORT, fridays

IDS = ("a", "b", "c", "d", "e", "f", "g")
TARGET = 300_000
WEEKLY_RISE = 1_000


def series() -> CbhiSample:
    """Members rise by 1,000 a week from 0 each 1 July; targets 300,000 then +1 % a year."""
    dates = fridays(FIRST_REPORT, LAST_REPORT)
    targets = {
        (d, fy): round(TARGET * 1.01 ** (fy - 2020)) for d in IDS for fy in (2020, 2021, 2022)
    }
    rows: dict[dt.date, tuple[WeeklyRow, ...]] = {}
    week: dict[int, int] = {}
    for day in dates:
        fy = fiscal_year_start_year(day)
        week[fy] = week.get(fy, 0) + 1
        members = WEEKLY_RISE * week[fy]
        rows[day] = tuple(
            WeeklyRow(d, targets[(d, fy)], members, members // 4, members * 3_000) for d in IDS
        )
    return CbhiSample(
        report_dates=tuple(dates),
        rows=rows,
        true_eligible={k: float(v) for k, v in targets.items()},
        targets=targets,
        stale=(StaleTarget("a", "too_low", (-20.0, -23.0, -26.0)),),
        correction=Correction("b", dt.date(2021, 12, 3), 22_000, 21_500),
        baseline_date=dt.date(2021, 3, 26),
        endline_date=dt.date(2023, 3, 24),
    )


def row(cbhi_rows: dict[dt.date, tuple[WeeklyRow, ...]], day: dt.date, d: str) -> WeeklyRow:
    (found,) = [r for r in cbhi_rows[day] if r.district_id == d]
    return found


@pytest.fixture
def injected() -> tuple[CbhiSample, dict[str, object]]:
    cbhi = series()
    coverage_days = {day: day != COVERAGE_REPORT_DATE for day in cbhi.report_dates}
    result = inject(
        cbhi,
        ("d", "e", "f", "g"),
        has_coverage_column=coverage_days,
        due_at=FileDeadline().due_at(LATE_REPORT_DATE),
    )
    return cbhi, {a.measure: a for a in result.anomalies} | {"rows": result.rows}


def test_districts_carrying_anomalies_are_neither_stale_in_focus_nor_corrected() -> None:
    chosen = pick_districts(np.random.default_rng(1), series(), IDS, frozenset({"c"}))
    assert len(set(chosen)) == 4 and set(chosen) == {"d", "e", "f", "g"}
    with pytest.raises(ValueError, match="3 districts can carry"):
        pick_districts(np.random.default_rng(1), series(), IDS, frozenset({"c", "d"}))


def test_the_late_file_is_three_days_and_fifteen_hours_after_its_friday(injected) -> None:
    _, found = injected
    late = found["late_file"]
    # due Saturday 2022-02-12 12:00 Kigali (10:00 UTC); delivered 2 d 5 h later, Monday
    # 15:00 UTC: 3 days 15 hours after the report date's 00:00 UTC = 3.625 days
    assert late.report_date == dt.date(2022, 2, 11)
    assert late.injected_value == pytest.approx(3 + 15 / 24, abs=0.005)
    assert late.district_id is None


def test_one_district_is_left_out_of_one_file_only(injected) -> None:
    cbhi, found = injected
    rows = found["rows"]
    assert [r.district_id for r in rows[MISSING_REPORT_DATE]] == ["a", "b", "c", "e", "f", "g"]
    assert all(len(rows[d]) == 7 for d in cbhi.report_dates if d != MISSING_REPORT_DATE)
    assert found["district_missing"].injected_value == 6


def test_the_spike_is_one_unusual_increment_and_a_lasting_level(injected) -> None:
    cbhi, found = injected
    rows = found["rows"]
    spike = found["members_paid_increment"]
    days = [d for d in cbhi.report_dates if fiscal_year_start_year(d) == 2021]
    i = days.index(SPIKE_REPORT_DATE)
    members = [row(rows, d, "e").members_paid for d in days]
    extra = round(0.08 * 303_000, -2)  # 24,200
    assert members[i] - members[i - 1] == WEEKLY_RISE + extra == spike.injected_value
    assert spike.usual_value == WEEKLY_RISE
    increments = [b - a for a, b in itertools.pairwise(members)]
    assert increments[i - 1] == WEEKLY_RISE + extra
    assert set(increments[: i - 1] + increments[i:]) == {WEEKLY_RISE}
    after = row(rows, days[-1], "e")
    assert after.members_paid / after.households_paid == pytest.approx(4, abs=0.001)
    # the next fiscal year starts afresh
    assert row(rows, dt.date(2022, 7, 1), "e").members_paid == WEEKLY_RISE


def test_the_coverage_cell_goes_to_the_next_file_with_the_column(injected) -> None:
    _, found = injected
    cell = found["coverage_rate"]
    assert cell.report_date == COVERAGE_REPORT_DATE + dt.timedelta(days=7)
    written = row(found["rows"], cell.report_date, "f")
    assert written.coverage_rate_as_written == pytest.approx(
        written.coverage_rate + COVERAGE_GAP_PP
    )
    assert cell.injected_value - cell.usual_value == pytest.approx(COVERAGE_GAP_PP)
    # small enough that ingestion loads the file (it refuses gaps over 0.6 pp)
    exact = written.members_paid / written.target_population * 100
    assert abs(cell.injected_value - exact) <= COVERAGE_TOLERANCE_PP


def test_the_target_jumps_for_one_fiscal_year(injected) -> None:
    cbhi, found = injected
    rows = found["rows"]
    jump = found["target_growth"]
    jumped = round(303_000 * (1 + TARGET_JUMP))  # 319,665
    for day in cbhi.report_dates:
        expected = {2020: 300_000, 2021: jumped, 2022: 306_030}[fiscal_year_start_year(day)]
        assert row(rows, day, "g").target_population == expected
    assert jump.injected_value == pytest.approx((jumped / 300_000 - 1) * 100, abs=0.005)
    assert jump.usual_value == pytest.approx(1.0)
    assert jump.report_date == dt.date(2021, 7, 2)
    assert len(jump.report_dates) == 52 + 53  # 2022/23 has 53 Fridays
