"""Reading the marts: only the contract's columns, read-only, nothing without the marts."""

from __future__ import annotations

from pathlib import Path

import duckdb

from tests.tpn_metrics.quality.dq_marts import EARLIER_WEEK, REPORTS, WEEK, build_dq_marts
from tpn_metrics.quality.marts import (
    FLAG_COLUMNS,
    REPORT_COLUMNS,
    accreditation_flags,
    has_quality_marts,
    report_dates,
    week_flags,
)
from tpn_metrics.quality.records import Dimension


def test_the_columns_read_are_the_contracts():
    assert set(REPORT_COLUMNS) <= set(REPORTS[0])
    assert FLAG_COLUMNS[0] == "flag_id" and len(FLAG_COLUMNS) == 12


def test_without_the_marts_there_is_nothing(tmp_path: Path):
    with duckdb.connect(str(tmp_path / "w.duckdb")) as con:
        assert not has_quality_marts(con)
        assert report_dates(con) == []


def test_dates_and_flags(tmp_path: Path):
    path = build_dq_marts(tmp_path / "w.duckdb")
    with duckdb.connect(str(path), read_only=True) as con:
        assert has_quality_marts(con)
        assert report_dates(con) == [EARLIER_WEEK, WEEK]
        flags = week_flags(con, WEEK)
        assert [(f.district_id, f.dimension) for f in flags] == [
            ("gasabo", Dimension.OUTLIERS),
            ("kicukiro", Dimension.INTERNAL_CONSISTENCY),
            ("kicukiro", Dimension.TIMELINESS),
        ]
        assert flags[0].observed_value == 41_200.0 and flags[0].unit == "members"
        assert week_flags(con, EARLIER_WEEK) == []
        [survey] = accreditation_flags(con)
        assert survey.survey_year == 2023 and survey.report_date is None


def test_empty_marts(tmp_path: Path):
    path = build_dq_marts(tmp_path / "w.duckdb", with_rows=False)
    with duckdb.connect(str(path), read_only=True) as con:
        assert has_quality_marts(con) and report_dates(con) == []
