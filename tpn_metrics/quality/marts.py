"""Reading the data-quality marts (read-only): the columns of the contract, nothing derived.

Tables (dbt, ``dbt_project/models/marts/data_quality/``, contracts enforced):
``marts.fct_dq_cbhi_district_reports`` (district × RSSB report date) and
``marts.fct_dq_flags`` (one row per flagged value); names in :data:`DQ_TABLES`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import duckdb

from tpn_metrics.quality.records import Dimension, Flag, TimelinessStatus
from tpn_metrics.warehouse import table_exists

DISTRICT_REPORTS = "fct_dq_cbhi_district_reports"
FLAGS = "fct_dq_flags"
DQ_TABLES = (f"marts.{DISTRICT_REPORTS}", f"marts.{FLAGS}")
"""The marts this package reads."""

REPORT_COLUMNS = (
    "district_id",
    "report_date",
    "is_district_reported",
    "districts_in_file",
    "required_fields_filled_pct",
    "days_after_report_date",
    "timeliness_status",
    "members_paid_increment",
    "is_outlier",
    "consistency_ratio",
    "coverage_rate_gap_pp",
    "members_per_household",
    "is_payments_inconsistent",
    "is_target_stale",
    "target_growth_pct",
)
"""The columns of ``fct_dq_cbhi_district_reports`` read (the lead checks them against dbt)."""

FLAG_COLUMNS = (
    "flag_id",
    "source",
    "district_id",
    "hospital_id",
    "report_date",
    "survey_year",
    "dimension",
    "measure",
    "observed_value",
    "expected_value",
    "unit",
    "detail",
)
"""The columns of ``fct_dq_flags`` read."""


@dataclass(frozen=True)
class DistrictReportRow:
    """The columns of one ``fct_dq_cbhi_district_reports`` row this package uses; units as
    the mart's (days, %, pp, members, persons per household). A NULL stays None: it says the
    measure does not apply (no earlier year, no payments extract, first report of a year)."""

    district_id: str
    report_date: dt.date
    is_district_reported: bool
    districts_in_file: int | None
    required_fields_filled_pct: float | None
    days_after_report_date: float | None
    timeliness_status: TimelinessStatus
    members_paid_increment: int | None
    is_outlier: bool | None
    consistency_ratio: float | None
    coverage_rate_gap_pp: float | None
    members_per_household: float | None
    is_payments_inconsistent: bool | None
    is_target_stale: bool | None
    target_growth_pct: float | None


def has_quality_marts(con: duckdb.DuckDBPyConnection) -> bool:
    """True when both data-quality marts exist (they may still be empty)."""
    return all(table_exists(con, "marts", name) for name in (DISTRICT_REPORTS, FLAGS))


def report_dates(con: duckdb.DuckDBPyConnection) -> list[dt.date]:
    """The RSSB report dates the review covers, oldest first (empty without the marts)."""
    if not has_quality_marts(con):
        return []
    rows = con.execute(
        f"select distinct report_date from marts.{DISTRICT_REPORTS} order by report_date"
    ).fetchall()
    return [row[0] for row in rows]


def district_report_rows(
    con: duckdb.DuckDBPyConnection, report_date: dt.date
) -> list[DistrictReportRow]:
    """Every district's row of ``report_date``, by district_id."""
    rows = con.execute(
        f"select {', '.join(REPORT_COLUMNS)} from marts.{DISTRICT_REPORTS} "
        "where report_date = ? order by district_id",
        [report_date],
    ).fetchall()
    return [_report_row(*row) for row in rows]


def _report_row(*values: object) -> DistrictReportRow:
    record = dict(zip(REPORT_COLUMNS, values, strict=True))
    record["is_district_reported"] = bool(record["is_district_reported"])
    record["timeliness_status"] = record["timeliness_status"] or "unknown"
    for name in ("members_paid_increment", "districts_in_file"):
        if record[name] is not None:
            record[name] = int(record[name])  # type: ignore[call-overload]
    return DistrictReportRow(**record)  # type: ignore[arg-type]


def week_flags(con: duckdb.DuckDBPyConnection, report_date: dt.date) -> list[Flag]:
    """The RSSB flags of ``report_date``, by district, dimension and measure."""
    return _flags(
        con,
        "source = 'rssb_weekly' and report_date = ? order by district_id, dimension, measure",
        [report_date],
    )


def accreditation_flags(con: duckdb.DuckDBPyConnection) -> list[Flag]:
    """The accreditation surveys' flags (hospitals surveyed, score changes), latest survey
    first, then district and hospital."""
    return _flags(
        con,
        "source = 'accreditation' "
        "order by survey_year desc, district_id nulls first, hospital_id nulls first, measure",
        [],
    )


def _flags(con: duckdb.DuckDBPyConnection, where: str, parameters: list[object]) -> list[Flag]:
    rows = con.execute(
        f"select {', '.join(FLAG_COLUMNS)} from marts.{FLAGS} where {where}", parameters
    ).fetchall()
    flags = []
    for row in rows:
        record = dict(zip(FLAG_COLUMNS, row, strict=True))
        record["dimension"] = Dimension(record["dimension"])
        for name in ("observed_value", "expected_value"):
            if record[name] is not None:
                record[name] = float(record[name])
        flags.append(Flag(**record))
    return flags
