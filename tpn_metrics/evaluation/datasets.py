"""Build the before/after frames the comparisons need, from the contracted marts.

Each frame has one row per institution: ``institution_id``, ``institution_name`` (as the
registry writes it, for people), ``is_focus``, ``baseline``, ``endline`` (NaN where the
institution has no value in that period; the comparison counts those instead of dropping them
silently).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import duckdb
import pandas as pd

from tpn_metrics.evaluation.periods import nearest_report_date

DEFAULT_HOSPITAL_CATEGORIES = ("district", "provincial")
# Districts whose DHMT chose CBHI enrolment (fct_tpn_focus applies the focus rule).
CBHI_FOCUS = """
    select entity_id as district_id, bool_or(is_focus) as is_focus
    from marts.fct_tpn_focus
    where entity_kind = 'district' and topic = 'cbhi_enrollment'
    group by entity_id
"""


@dataclass(frozen=True)
class Dataset:
    """One topic and metric ready to compare: ``frame`` has one row per institution (columns
    in the module doc; values in ``unit``); ``panel`` the long form for difference-in-differences.
    """

    topic: str
    metric: str
    unit: str
    baseline_label: str
    endline_label: str
    frame: pd.DataFrame
    # unit_id, period (0/1), is_focus, value: for difference-in-differences, when available
    panel: pd.DataFrame | None = None
    # "reported" or "corrected" for CBHI coverage: the uninsured-share decline is derived from it
    coverage: str | None = None
    #: Unit of a difference or change: "pp" for percentages, else the unit itself (e.g.
    #: "per 1,000 live births"); the warehouse's ``…_pp`` columns hold it.
    difference_unit: str = "pp"
    #: False when a fall is an improvement (birth asphyxia, stock-outs): tests ask "fell more?".
    higher_is_better: bool = True
    #: For people, when the comparison id alone would not say it (service topics).
    title: str | None = None
    #: The eval_tests method of the difference-in-differences on ``panel``, and its note.
    panel_method: str = "did_weekly_panel"
    panel_note: str = "13-week means before/after"


def accreditation_dataset(
    con: duckdb.DuckDBPyConnection,
    *,
    baseline_year: int = 2021,
    endline_year: int = 2023,
    level: int = 2,
    categories: tuple[str, ...] = DEFAULT_HOSPITAL_CATEGORIES,
) -> Dataset:
    """Level-N accreditation score of hospitals focused on accreditation vs the others."""
    if level not in (1, 2, 3):
        raise ValueError("level must be 1, 2 or 3")
    frame = con.execute(
        f"""
        with hospitals as (
            select hospital_id, hospital_name from marts.dim_hospital
            where hospital_category in (select unnest(?::varchar[]))
        ),
        surveyed as (
            select distinct hospital_id from marts.fct_accreditation
            where survey_year in (?, ?)
        ),
        scores as (
            select
                hospital_id,
                max(case when survey_year = ? then level_{level}_score_pct end) as baseline,
                max(case when survey_year = ? then level_{level}_score_pct end) as endline
            from marts.fct_accreditation
            group by hospital_id
        ),
        focus as (
            select entity_id as hospital_id, bool_or(is_focus) as is_focus
            from marts.fct_tpn_focus
            where entity_kind = 'hospital' and topic = 'accreditation'
            group by entity_id
        )
        select
            hospitals.hospital_id as institution_id,
            hospitals.hospital_name as institution_name,
            coalesce(focus.is_focus, false) as is_focus,
            scores.baseline,
            scores.endline
        from hospitals
        inner join surveyed on hospitals.hospital_id = surveyed.hospital_id
        left join scores on hospitals.hospital_id = scores.hospital_id
        left join focus on hospitals.hospital_id = focus.hospital_id
        order by institution_id
        """,
        [list(categories), baseline_year, endline_year, baseline_year, endline_year],
    ).df()
    return Dataset(
        topic="accreditation",
        metric=f"level_{level}_score_pct",
        unit="% of standards met",
        baseline_label=str(baseline_year),
        endline_label=str(endline_year),
        frame=frame,
    )


def cbhi_dataset(
    con: duckdb.DuckDBPyConnection,
    *,
    baseline: dt.date,
    endline: dt.date,
    coverage: str = "reported",
) -> Dataset:
    """CBHI coverage of districts focused on enrolment vs the others, at the Friday reports
    nearest to two dates (check the dates first: :func:`periods.cbhi_report_dates`)."""
    column = {
        "reported": "coverage_reported_pct",
        "corrected": "coverage_corrected_pct",
    }[coverage]
    baseline_date = nearest_report_date(con, baseline)
    endline_date = nearest_report_date(con, endline)
    frame = con.execute(
        f"""
        with coverage as (
            select district_id, report_date, {column} as value
            from marts.fct_cbhi_coverage_corrected
        ),
        focus as (
            {CBHI_FOCUS}
        )
        select
            districts.district_id as institution_id,
            districts.district_name as institution_name,
            coalesce(focus.is_focus, false) as is_focus,
            max(case when coverage.report_date = ? then coverage.value end) as baseline,
            max(case when coverage.report_date = ? then coverage.value end) as endline
        from marts.dim_district as districts
        left join coverage on districts.district_id = coverage.district_id
        left join focus on districts.district_id = focus.district_id
        group by all
        order by institution_id
        """,
        [baseline_date, endline_date],
    ).df()
    return Dataset(
        topic="cbhi_enrollment",
        metric=f"coverage_{coverage}_pct",
        unit="% of target population",
        baseline_label=f"{baseline_date} (nearest to {baseline})",
        endline_label=f"{endline_date} (nearest to {endline})",
        frame=frame,
        panel=weekly_panel(con, column, baseline_date, endline_date),
        coverage=coverage,
    )


PANEL_WEEKS = 13


def weekly_panel(
    con: duckdb.DuckDBPyConnection,
    column: str,
    baseline_date: dt.date | None,
    endline_date: dt.date | None,
    weeks: int = PANEL_WEEKS,
) -> pd.DataFrame | None:
    """Mean weekly coverage per district over the `weeks` Friday reports ending at each date.

    Averaging a quarter of weekly reports, rather than reading one Friday, keeps one late or
    corrected report from deciding a district's change; the 2×2 difference-in-differences then
    compares focus and comparison districts on those quarter means.
    """
    if baseline_date is None or endline_date is None:
        return None
    panel = con.execute(
        f"""
        with weekly as (
            select district_id, report_date, {column} as value
            from marts.fct_cbhi_coverage_corrected
        ),
        windows as (
            select 0 as period, ?::date as end_date
            union all
            select 1, ?::date
        ),
        focus as (
            {CBHI_FOCUS}
        )
        select
            weekly.district_id as unit_id,
            windows.period,
            coalesce(focus.is_focus, false) as is_focus,
            avg(weekly.value) as value
        from weekly
        inner join windows
            on weekly.report_date <= windows.end_date
            and weekly.report_date > windows.end_date - interval ({weeks} * 7) day
        left join focus on weekly.district_id = focus.district_id
        group by all
        order by unit_id, period
        """,
        [baseline_date, endline_date],
    ).df()
    return panel if not panel.empty else None


def coverage_trajectories(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Mean weekly coverage (reported and corrected) of CBHI-focus districts vs the others."""
    return con.execute(
        f"""
        with focus as (
            {CBHI_FOCUS}
        ),
        weekly as (
            select
                corrected.report_date,
                corrected.fiscal_year,
                coalesce(focus.is_focus, false) as is_focus,
                avg(corrected.coverage_reported_pct) as reported,
                avg(corrected.coverage_corrected_pct) as corrected
            from marts.fct_cbhi_coverage_corrected as corrected
            left join focus on corrected.district_id = focus.district_id
            group by all
        )
        unpivot weekly on reported, corrected into name measure value coverage_pct
        order by report_date, is_focus, measure
        """
    ).df()
