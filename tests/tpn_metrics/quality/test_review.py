"""The week's review: scorecard statuses from the hand-built marts (flags counted from
fct_dq_flags, not applicable from NULL measures), district filter, unknown week."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import duckdb
import pytest

from tests.tpn_metrics.quality.dq_marts import EARLIER_WEEK, REPORTS, WEEK, build_dq_marts
from tpn_metrics.quality.marts import DistrictReportRow, district_report_rows
from tpn_metrics.quality.records import Dimension
from tpn_metrics.quality.review import district_qualities, is_applicable, week_review


@pytest.fixture
def con(tmp_path: Path) -> duckdb.DuckDBPyConnection:
    path = build_dq_marts(tmp_path / "tpn.duckdb")
    return duckdb.connect(str(path), read_only=True)


def _statuses(con: duckdb.DuckDBPyConnection, day: dt.date) -> dict[str, dict[str, str]]:
    review = week_review(con, day)
    return {
        d.district_name: {c.dimension.value: f"{c.status}:{c.flags}" for c in d.cells}
        for d in review.districts
    }


def test_the_scorecard_of_the_week(con: duckdb.DuckDBPyConnection):
    statuses = _statuses(con, WEEK)
    assert list(statuses) == ["Gasabo", "Kicukiro", "Nyarugenge"]  # by name
    assert statuses["Gasabo"]["outliers"] == "flagged:1"
    assert statuses["Gasabo"]["timeliness"] == "ok:0"
    assert statuses["Kicukiro"]["timeliness"] == "flagged:1"
    assert statuses["Kicukiro"]["internal_consistency"] == "flagged:1"
    assert statuses["Nyarugenge"]["consistency_over_time"] == "not_applicable:0"
    flagged = sum(s.startswith("flagged") for row in statuses.values() for s in row.values())
    assert flagged == 3
    review = week_review(con, WEEK)
    assert review.districts_in_file == 3 and review.expected_districts == 3
    assert [f.flag_id for f in review.flags] == ["f1", "f3", "f2"]  # by district, dimension
    assert [f.flag_id for f in review.accreditation_flags] == ["f4"]


def test_a_clean_week_is_all_ok(con: duckdb.DuckDBPyConnection):
    statuses = _statuses(con, EARLIER_WEEK)
    assert {s for row in statuses.values() for s in row.values()} == {"ok:0"}


def test_one_district(con: duckdb.DuckDBPyConnection):
    review = week_review(con, WEEK, "kicukiro")
    [kicukiro] = review.districts
    assert kicukiro.district_name == "Kicukiro" and len(kicukiro.flags) == 2
    assert kicukiro.timeliness_status == "late" and kicukiro.days_after_report_date == 2.5
    assert review.accreditation_flags == ()  # H001 is in Gasabo
    assert week_review(con, WEEK, "gasabo").accreditation_flags[0].hospital_id == "H001"


def test_a_week_the_marts_do_not_hold_has_no_district(con: duckdb.DuckDBPyConnection):
    assert week_review(con, dt.date(2023, 3, 31)).districts == ()


def test_district_qualities_is_empty_without_the_marts(tmp_path: Path):
    with duckdb.connect(str(tmp_path / "empty.duckdb")) as con:
        assert district_qualities(con, WEEK) == {}


def _row(**values: object) -> DistrictReportRow:
    base = {k: REPORTS[3][k] for k in (f.name for f in dataclasses.fields(DistrictReportRow))}
    base.update(values)
    return DistrictReportRow(**base)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("values", "dimension", "applies"),
    [
        ({"timeliness_status": "backfilled"}, Dimension.TIMELINESS, False),
        ({"timeliness_status": "unknown"}, Dimension.TIMELINESS, False),
        ({"timeliness_status": "late"}, Dimension.TIMELINESS, True),
        ({"members_paid_increment": None}, Dimension.OUTLIERS, False),
        ({"is_outlier": None}, Dimension.OUTLIERS, False),
        ({"consistency_ratio": None}, Dimension.CONSISTENCY_OVER_TIME, False),
        (
            {"coverage_rate_gap_pp": None, "members_per_household": None},
            Dimension.INTERNAL_CONSISTENCY,
            False,
        ),
        ({"coverage_rate_gap_pp": None}, Dimension.INTERNAL_CONSISTENCY, True),
        ({"is_target_stale": None, "target_growth_pct": None}, Dimension.DENOMINATORS, False),
        ({"is_district_reported": False}, Dimension.COMPLETENESS, True),
    ],
)
def test_not_applicable_means_the_mart_holds_no_measure(
    values: dict[str, object], dimension: Dimension, applies: bool
):
    assert is_applicable(_row(**values), dimension) is applies


def test_rows_are_read_with_the_contract_types(con: duckdb.DuckDBPyConnection):
    rows = district_report_rows(con, WEEK)
    gasabo = next(r for r in rows if r.district_id == "gasabo")
    assert gasabo.members_paid_increment == 41_200 and isinstance(
        gasabo.members_paid_increment, int
    )
    assert gasabo.is_outlier is True and gasabo.is_payments_inconsistent is None
