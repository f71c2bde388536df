"""The review of one RSSB week: the one function (:func:`week_review`) whose result the
evaluation report's data-quality section, the district email's line, the data team's alert
and ``tpn dq`` all show, so the four cannot disagree.

A cell of the scorecard is **flagged** when ``fct_dq_flags`` holds flags of that district,
week and dimension (the count is theirs); otherwise **not applicable** when the marts hold no
measure for it (NULL: a backfilled or undated delivery has no timeliness, the first report of
a fiscal year no weekly increment, a district without earlier years no consistency ratio, no
payments extract no reconciliation…); otherwise **ok**. Nothing is recomputed here.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter

import duckdb

from tpn_metrics.quality.marts import (
    DistrictReportRow,
    accreditation_flags,
    district_report_rows,
    has_quality_marts,
    week_flags,
)
from tpn_metrics.quality.records import Cell, Dimension, DistrictQuality, Flag, WeekReview
from tpn_metrics.warehouse import table_exists


def is_applicable(row: DistrictReportRow, dimension: Dimension) -> bool:
    """Whether the mart row holds a measure of ``dimension`` (its columns are not all NULL).

    Completeness always applies (a missing district is itself the finding); timeliness not
    for a backfilled file or an unknown delivery time (status 'backfilled' / 'unknown').
    """
    if dimension is Dimension.COMPLETENESS:
        return True
    if dimension is Dimension.TIMELINESS:
        return row.timeliness_status in ("on_time", "late")
    if dimension is Dimension.OUTLIERS:
        return row.members_paid_increment is not None and row.is_outlier is not None
    if dimension is Dimension.CONSISTENCY_OVER_TIME:
        return row.consistency_ratio is not None
    if dimension is Dimension.INTERNAL_CONSISTENCY:
        return any(
            value is not None
            for value in (
                row.coverage_rate_gap_pp,
                row.members_per_household,
                row.is_payments_inconsistent,
            )
        )
    return row.is_target_stale is not None or row.target_growth_pct is not None


def scorecard_cells(
    row: DistrictReportRow, flags: list[Flag] | tuple[Flag, ...]
) -> tuple[Cell, ...]:
    """One cell per dimension (in :class:`Dimension` order) for ``row``, given the flags of
    the same district and week."""
    counts = Counter(flag.dimension for flag in flags)
    cells = []
    for dimension in Dimension:
        if counts[dimension]:
            cells.append(Cell(dimension, "flagged", counts[dimension]))
        elif is_applicable(row, dimension):
            cells.append(Cell(dimension, "ok", 0))
        else:
            cells.append(Cell(dimension, "not_applicable", 0))
    return tuple(cells)


def district_names(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """district_id → district name from ``marts.dim_district`` (empty when not built)."""
    if not table_exists(con, "marts", "dim_district"):
        return {}
    rows = con.execute("select district_id, district_name from marts.dim_district").fetchall()
    return {str(district): str(name) for district, name in rows}


def week_review(
    con: duckdb.DuckDBPyConnection, report_date: dt.date, district_id: str | None = None
) -> WeekReview:
    """The review of the RSSB report of ``report_date`` (a Friday), every district or only
    ``district_id``; districts sorted by name. The marts must exist (``has_quality_marts``
    in this package's ``marts`` module): duckdb.CatalogException otherwise. A date the marts
    do not hold gives a review with no district.
    """
    names = district_names(con)
    rows = district_report_rows(con, report_date)
    flags_by_district: dict[str | None, list[Flag]] = {}
    for flag in week_flags(con, report_date):
        flags_by_district.setdefault(flag.district_id, []).append(flag)
    in_file = next((r.districts_in_file for r in rows if r.districts_in_file is not None), None)
    districts = []
    for row in rows:
        if district_id is not None and row.district_id != district_id:
            continue
        own = tuple(flags_by_district.get(row.district_id, ()))
        districts.append(
            DistrictQuality(
                district_id=row.district_id,
                district_name=names.get(row.district_id, row.district_id),
                report_date=row.report_date,
                timeliness_status=row.timeliness_status,
                days_after_report_date=row.days_after_report_date,
                is_district_reported=row.is_district_reported,
                required_fields_filled_pct=row.required_fields_filled_pct,
                cells=scorecard_cells(row, own),
                flags=own,
            )
        )
    accreditation = tuple(
        flag
        for flag in accreditation_flags(con)
        if district_id is None or flag.district_id == district_id
    )
    return WeekReview(
        report_date=report_date,
        districts_in_file=in_file,
        expected_districts=len(rows),
        districts=tuple(sorted(districts, key=lambda d: d.district_name)),
        accreditation_flags=accreditation,
    )


def district_qualities(
    con: duckdb.DuckDBPyConnection, report_date: dt.date
) -> dict[str, DistrictQuality]:
    """district_id → its review of ``report_date``, for the district emails; empty when the
    data-quality marts are absent (the emails then carry no data-quality line)."""
    if not has_quality_marts(con):
        return {}
    return {d.district_id: d for d in week_review(con, report_date).districts}
