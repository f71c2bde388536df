"""Assemble each district's Friday figures from the marts into ``DistrictWeek`` records.

Reads only contracted marts (``fct_cbhi_weekly``, ``fct_cbhi_coverage_corrected``,
``dim_district``, ``dim_institution``, ``fct_twinning_pairs``); a district's record holds its
own detail plus national aggregates and ranks, never another district's detail (except its TPN
twin's headline figure, which the programme shares on purpose).
"""

from __future__ import annotations

import datetime as dt
import hashlib

import duckdb
import pandas as pd

from tpn_metrics.reports.email_content import DistrictWeek, TwinStatus

CORRECTION_METHOD_TEXT = {
    "geometric": "geometric projection from the 2012 and 2022 censuses",
    "linear": "linear projection from the 2012 and 2022 censuses",
    "exponential": "exponential projection from the 2012 and 2022 censuses",
}
PACE_WEEKS = 4


def latest_report_date(con: duckdb.DuckDBPyConnection) -> dt.date | None:
    row = con.execute("select max(report_date) from marts.fct_cbhi_weekly").fetchone()
    return row[0] if row and row[0] else None


def _fy_end(fy_start: dt.date) -> dt.date:
    return dt.date(fy_start.year + 1, 6, 30)


def _fridays_left(day: dt.date, fy_start: dt.date) -> int:
    return max((_fy_end(fy_start) - day).days // 7, 0)


def _twins(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """district → its CBHI twin district (either side of an active pair between DHMTs)."""
    pairs = con.execute(
        """
        select rising.district_id as rising_district, shining.district_id as shining_district
        from marts.fct_twinning_pairs as pairs
        inner join marts.dim_institution as rising
            on pairs.rising_institution_id = rising.institution_id
        inner join marts.dim_institution as shining
            on pairs.shining_institution_id = shining.institution_id
        where pairs.topic = 'cbhi_enrollment'
            and pairs.is_active
            and rising.institution_kind = 'district'
            and shining.institution_kind = 'district'
        order by pairs.started_on, rising.district_id
        """
    ).fetchall()
    twins: dict[str, str] = {}
    for rising, shining in pairs:
        twins.setdefault(str(rising), str(shining))
        twins.setdefault(str(shining), str(rising))
    return twins


def district_weeks(con: duckdb.DuckDBPyConnection, report_date: dt.date) -> list[DistrictWeek]:
    week = con.execute(
        """
        select
            weekly.district_id,
            districts.district_name,
            districts.province,
            weekly.fiscal_year,
            weekly.fiscal_year_start_date,
            weekly.members_paid,
            weekly.households_paid,
            weekly.target_population,
            weekly.coverage_reported_pct,
            weekly.members_paid_change_week,
            weekly.coverage_change_week_pp,
            corrected.coverage_corrected_pct,
            corrected.corrected_target_central,
            corrected.correction_method
        from marts.fct_cbhi_weekly as weekly
        inner join marts.dim_district as districts
            on weekly.district_id = districts.district_id
        left join marts.fct_cbhi_coverage_corrected as corrected
            on weekly.district_id = corrected.district_id
            and weekly.report_date = corrected.report_date
        where weekly.report_date = ?
        order by weekly.district_id
        """,
        [report_date],
    ).df()
    if week.empty:
        return []
    fy_start = pd.Timestamp(week["fiscal_year_start_date"].iloc[0]).date()
    last_fy_start = dt.date(fy_start.year - 1, 7, 1)
    history = con.execute(
        """
        select district_id, report_date, fiscal_year_start_date, members_paid,
            coverage_reported_pct
        from marts.fct_cbhi_weekly
        where report_date <= ? and fiscal_year_start_date >= ?
        order by district_id, report_date
        """,
        [report_date, last_fy_start],
    ).df()
    history["report_date"] = pd.to_datetime(history["report_date"]).dt.date
    history["fiscal_year_start_date"] = pd.to_datetime(history["fiscal_year_start_date"]).dt.date

    national = float(week["members_paid"].sum() / week["target_population"].sum() * 100)
    week["rank_national"] = (
        week["coverage_reported_pct"].rank(ascending=False, method="min").astype(int)
    )
    week["rank_province"] = (
        week.groupby("province")["coverage_reported_pct"]
        .rank(ascending=False, method="min")
        .astype(int)
    )
    province_sizes = week.groupby("province")["district_id"].count().to_dict()
    by_id = week.set_index("district_id")
    twins = _twins(con)

    records = []
    for row in week.itertuples(index=False):
        own = history[history["district_id"] == row.district_id]
        this_fy = own[own["fiscal_year_start_date"] == fy_start]
        last_fy = own[own["fiscal_year_start_date"] == last_fy_start]
        recent = this_fy.tail(PACE_WEEKS + 1)
        projected = None
        if len(recent) >= 2:
            weekly_gain = (recent["members_paid"].iloc[-1] - recent["members_paid"].iloc[0]) / (
                len(recent) - 1
            )
            year_end = row.members_paid + max(weekly_gain, 0) * _fridays_left(report_date, fy_start)
            projected = float(year_end / row.target_population * 100)
        gap = max(int(row.target_population) - int(row.members_paid), 0)
        gap_households = None
        if pd.notna(row.households_paid) and row.households_paid and row.members_paid:
            gap_households = round(gap * float(row.households_paid) / float(row.members_paid))
        twin = None
        twin_id = twins.get(row.district_id)
        if twin_id and twin_id in by_id.index:
            twin_row = by_id.loc[twin_id]
            change = twin_row["coverage_change_week_pp"]
            twin = TwinStatus(
                district_name=str(twin_row["district_name"]),
                coverage_reported_pct=float(twin_row["coverage_reported_pct"]),
                coverage_change_week_pp=None if pd.isna(change) else float(change),
            )
        corrected = row.coverage_corrected_pct
        records.append(
            DistrictWeek(
                district_id=row.district_id,
                district_name=row.district_name,
                province=row.province,
                report_date=report_date,
                fiscal_year=row.fiscal_year,
                members_paid=int(row.members_paid),
                households_paid=None if pd.isna(row.households_paid) else int(row.households_paid),
                target_population=int(row.target_population),
                coverage_reported_pct=float(row.coverage_reported_pct),
                coverage_corrected_pct=None if pd.isna(corrected) else float(corrected),
                corrected_target_population=None
                if pd.isna(row.corrected_target_central)
                else int(row.corrected_target_central),
                correction_method=None
                if pd.isna(row.correction_method)
                else CORRECTION_METHOD_TEXT.get(
                    str(row.correction_method), str(row.correction_method)
                ),
                members_paid_change_week=None
                if pd.isna(row.members_paid_change_week)
                else int(row.members_paid_change_week),
                coverage_change_week_pp=None
                if pd.isna(row.coverage_change_week_pp)
                else float(row.coverage_change_week_pp),
                gap_members=gap,
                gap_households=gap_households,
                projected_year_end_coverage_pct=projected,
                rank_national=int(row.rank_national),
                n_districts=len(week),
                rank_province=int(row.rank_province),
                n_province=int(province_sizes[row.province]),
                national_coverage_pct=national,
                twin=twin,
                trajectory_this_fy=tuple(
                    zip(
                        this_fy["report_date"],
                        this_fy["coverage_reported_pct"].astype(float),
                        strict=True,
                    )
                ),
                trajectory_last_fy=tuple(
                    zip(
                        last_fy["report_date"],
                        last_fy["coverage_reported_pct"].astype(float),
                        strict=True,
                    )
                ),
            )
        )
    return records


def week_source_files(con: duckdb.DuckDBPyConnection, report_date: dt.date) -> dict[str, str]:
    rows = con.execute(
        "select district_id, source_file_sha256 from marts.fct_cbhi_weekly where report_date = ?",
        [report_date],
    ).fetchall()
    return {str(d): str(s) for d, s in rows}


# The figures a district's own email is built from, as RSSB reported them. A re-issued week
# whose file differs but whose figures for a district do not sends that district nothing.
FINGERPRINT_COLUMNS = ("target_population", "members_paid", "households_paid")


def week_figures(con: duckdb.DuckDBPyConnection, report_date: dt.date) -> dict[str, str]:
    """district → SHA-256 of its own reported figures for the week (``FINGERPRINT_COLUMNS``).

    Only the district's own figures count: a correction elsewhere that merely moves its rank,
    the national coverage or its twin's headline does not make its email a correction.
    """
    columns = ", ".join(FINGERPRINT_COLUMNS)
    rows = con.execute(
        f"select district_id, {columns} from marts.fct_cbhi_weekly where report_date = ?",
        [report_date],
    ).fetchall()
    return {
        str(row[0]): hashlib.sha256(
            "\x1f".join("" if v is None else str(v) for v in row[1:]).encode()
        ).hexdigest()
        for row in rows
    }
