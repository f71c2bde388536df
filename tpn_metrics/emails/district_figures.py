"""Assemble each district's Friday figures from the marts into ``DistrictWeek`` records.

Reads only contracted marts (``fct_cbhi_weekly``, ``fct_cbhi_coverage_corrected``,
``dim_district``, ``dim_institution``, ``fct_twinning_pairs``, and the data-quality marts
through :mod:`tpn_metrics.quality`); a district's record holds its
own detail plus national aggregates and ranks, never another district's detail (except its TPN
twin's headline figure, which the programme shares on purpose).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any, cast

import duckdb
import pandas as pd

from tpn_metrics.calendar import first_day_of_fiscal_year, fiscal_year_end, fiscal_year_start_year
from tpn_metrics.emails.week import DistrictWeek, ReportedBeside, TwinStatus
from tpn_metrics.quality.review import district_qualities

PACE_WEEKS = 4


def latest_report_date(con: duckdb.DuckDBPyConnection) -> dt.date | None:
    """The latest Friday in ``marts.fct_cbhi_weekly``; None when the mart is empty."""
    row = con.execute("select max(report_date) from marts.fct_cbhi_weekly").fetchone()
    return row[0] if row and row[0] else None


def _fridays_left(day: dt.date, fy_start: dt.date) -> int:
    """Whole weeks from ``day`` to the end of the fiscal year opened by ``fy_start`` (>= 0)."""
    return max((fiscal_year_end(fy_start) - day).days // 7, 0)


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


def _projected_pct(
    recent_members: pd.Series, members_paid: int, fridays_left: int, target: float | None
) -> float | None:
    """Coverage on 30 June if members keep growing at the recent pace (never shrinking).

    ``recent_members``: members paid at the last PACE_WEEKS + 1 reports of the fiscal year.
    """
    if len(recent_members) < 2 or not target:
        return None
    weekly_gain = (recent_members.iloc[-1] - recent_members.iloc[0]) / (len(recent_members) - 1)
    year_end = members_paid + max(float(weekly_gain), 0.0) * fridays_left
    return float(year_end / target * 100)


def _gap(target: float, members_paid: int, households_paid: object) -> tuple[int, int | None]:
    """Members still to enrol against ``target``, and the households they make at the
    district's members per household as RSSB reports it (members_paid / households_paid)."""
    gap = max(round(target) - members_paid, 0)
    if pd.isna(households_paid) or not households_paid or not members_paid:
        return gap, None
    return gap, round(gap * float(households_paid) / float(members_paid))  # type: ignore[arg-type]


def _ranks(week: pd.DataFrame, column: str) -> tuple[pd.Series, pd.Series]:
    """(national, provincial) rank on ``column``, 1 = highest, ties share the best rank."""
    national = week[column].rank(ascending=False, method="min")
    province = week.groupby("province")[column].rank(ascending=False, method="min")
    return national, province


def _optional(value: object, kind: type[int] | type[float]) -> Any:
    """``value`` as ``kind``, or None for a missing value (None, NaN, NA)."""
    if value is None or pd.isna(value):
        return None
    return kind(cast(float, value))  # a number from a DataFrame cell


def district_weeks(con: duckdb.DuckDBPyConnection, report_date: dt.date) -> list[DistrictWeek]:
    """Every district's figures for the Friday ``report_date`` (empty if there is no report).

    Derived signals are on the census-corrected target (``fct_cbhi_coverage_corrected``)
    when the district has one, with the same signals on RSSB's target in ``reported``.
    Percentages in %, changes in pp; see :class:`DistrictWeek` for each field.
    """
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
            corrected.correction_method,
            coalesce(corrected.is_coverage_divergent, false) as is_coverage_divergent
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
    last_fy_start = first_day_of_fiscal_year(fiscal_year_start_year(fy_start) - 1)
    history = con.execute(
        """
        select
            weekly.district_id,
            weekly.report_date,
            weekly.fiscal_year_start_date,
            weekly.members_paid,
            weekly.coverage_reported_pct,
            corrected.coverage_corrected_pct
        from marts.fct_cbhi_weekly as weekly
        left join marts.fct_cbhi_coverage_corrected as corrected
            on weekly.district_id = corrected.district_id
            and weekly.report_date = corrected.report_date
        where weekly.report_date <= ? and weekly.fiscal_year_start_date >= ?
        order by weekly.district_id, weekly.report_date
        """,
        [report_date, last_fy_start],
    ).df()
    history["report_date"] = pd.to_datetime(history["report_date"]).dt.date
    history["fiscal_year_start_date"] = pd.to_datetime(history["fiscal_year_start_date"]).dt.date

    has_corrected = week["corrected_target_central"].notna()
    # Primary basis: the census-corrected target where there is one, RSSB's otherwise.
    week["primary_target"] = week["corrected_target_central"].where(
        has_corrected, week["target_population"]
    )
    week["primary_pct"] = week["coverage_corrected_pct"].where(
        has_corrected, week["coverage_reported_pct"]
    )
    national = float(week["members_paid"].sum() / week["primary_target"].sum() * 100)
    national_reported = float(week["members_paid"].sum() / week["target_population"].sum() * 100)
    week["rank_national"], week["rank_province"] = _ranks(week, "primary_pct")
    week["rank_national_reported"], week["rank_province_reported"] = _ranks(
        week, "coverage_reported_pct"
    )
    province_sizes = week.groupby("province")["district_id"].count().to_dict()
    by_id = week.set_index("district_id")
    twins = _twins(con)
    fridays_left = _fridays_left(report_date, fy_start)

    quality = district_qualities(con, report_date)  # the data-quality line; {} without marts
    records = []
    for row in week.itertuples(index=False):
        own = history[history["district_id"] == row.district_id]
        this_fy = own[own["fiscal_year_start_date"] == fy_start]
        last_fy = own[own["fiscal_year_start_date"] == last_fy_start]
        recent = this_fy["members_paid"].tail(PACE_WEEKS + 1)
        corrected = _optional(row.coverage_corrected_pct, float)
        members = int(row.members_paid)
        gap, gap_households = _gap(float(row.primary_target), members, row.households_paid)
        primary_column = "coverage_reported_pct" if corrected is None else "coverage_corrected_pct"
        change_pp = _optional(row.coverage_change_week_pp, float)
        reported = None
        if corrected is not None:
            # Week-on-week change on the corrected basis: against the previous report of the
            # same fiscal year, as fct_cbhi_weekly's change on the reported one.
            previous = this_fy.loc[this_fy["report_date"] < report_date, primary_column].tail(1)
            change_reported = change_pp
            change_pp = (
                None
                if previous.empty or pd.isna(previous.iloc[0])
                else corrected - float(previous.iloc[0])
            )
            gap_reported, gap_households_reported = _gap(
                float(row.target_population), members, row.households_paid
            )
            reported = ReportedBeside(
                coverage_change_week_pp=change_reported,
                gap_members=gap_reported,
                gap_households=gap_households_reported,
                projected_year_end_coverage_pct=_projected_pct(
                    recent, members, fridays_left, float(row.target_population)
                ),
                rank_national=int(row.rank_national_reported),
                rank_province=int(row.rank_province_reported),
                national_coverage_pct=national_reported,
            )
        twin = None
        twin_id = twins.get(row.district_id)
        if twin_id and twin_id in by_id.index:
            twin_row = by_id.loc[twin_id]
            twin = _twin_status(twin_row, history, report_date, fy_start)

        def trajectory(frame: pd.DataFrame, column: str) -> tuple[tuple[dt.date, float], ...]:
            points = frame.loc[frame[column].notna(), ["report_date", column]]
            return tuple(zip(points["report_date"], points[column].astype(float), strict=True))

        records.append(
            DistrictWeek(
                district_id=row.district_id,
                district_name=row.district_name,
                province=row.province,
                report_date=report_date,
                fiscal_year=row.fiscal_year,
                members_paid=members,
                households_paid=_optional(row.households_paid, int),
                target_population=int(row.target_population),
                coverage_reported_pct=float(row.coverage_reported_pct),
                coverage_corrected_pct=corrected,
                corrected_target_population=_optional(row.corrected_target_central, int),
                # The mart's method key ('geometric'); the email words it in its language.
                correction_method=None
                if pd.isna(row.correction_method)
                else str(row.correction_method),
                members_paid_change_week=_optional(row.members_paid_change_week, int),
                coverage_change_week_pp=change_pp,
                gap_members=gap,
                gap_households=gap_households,
                projected_year_end_coverage_pct=_projected_pct(
                    recent, members, fridays_left, float(row.primary_target)
                ),
                rank_national=int(row.rank_national),
                n_districts=len(week),
                rank_province=int(row.rank_province),
                n_province=int(province_sizes[row.province]),
                national_coverage_pct=national,
                twin=twin,
                trajectory_this_fy=trajectory(this_fy, primary_column),
                trajectory_last_fy=trajectory(last_fy, primary_column),
                reported=reported,
                is_coverage_divergent=bool(row.is_coverage_divergent),
                trajectory_this_fy_reported=()
                if corrected is None
                else trajectory(this_fy, "coverage_reported_pct"),
                data_quality=quality.get(row.district_id),
            )
        )
    return records


def _twin_status(
    twin_row: pd.Series, history: pd.DataFrame, report_date: dt.date, fy_start: dt.date
) -> TwinStatus:
    """The twin's headline: corrected coverage and its weekly change when it has one."""
    corrected = _optional(twin_row["coverage_corrected_pct"], float)
    change = _optional(twin_row["coverage_change_week_pp"], float)
    if corrected is not None:
        earlier = history[
            (history["district_id"] == twin_row.name)
            & (history["fiscal_year_start_date"] == fy_start)
            & (history["report_date"] < report_date)
        ].tail(1)
        previous = None if earlier.empty else earlier["coverage_corrected_pct"].iloc[0]
        change = None if previous is None or pd.isna(previous) else corrected - float(previous)
    return TwinStatus(
        district_name=str(twin_row["district_name"]),
        coverage_reported_pct=float(twin_row["coverage_reported_pct"]),
        coverage_change_week_pp=change,
        coverage_corrected_pct=corrected,
    )


def week_source_files(con: duckdb.DuckDBPyConnection, report_date: dt.date) -> dict[str, str]:
    """district → SHA-256 of the RSSB file its figures for ``report_date`` came from."""
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
