"""The baseline and endline of an evaluation, checked against what the warehouse holds.

A period is written as a year (``2021``), a month (``2021-03``) or a day (``2021-03-23``).
Each topic says which of these it compares on: accreditation surveys are yearly, CBHI reports
weekly (a day picks the nearest Friday report); monthly topics to come declare ``month``.

Every check runs before anything is written, so a wrong period leaves the last good tables and
report in place. A refusal is a :class:`PeriodError` whose message is one line a person can act
on (the CLI prints it and exits 2).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

import duckdb

from tpn_metrics.calendar import fiscal_week

Granularity = Literal["year", "month", "day"]

# Paper (Gasana et al. 2024): baseline and endline years of both comparisons.
PAPER_YEARS = (2021, 2023)
# dbt var naming how far (days) the report nearest to a requested date may lie.
MAX_REPORT_DISTANCE_VAR = "evaluation_max_report_distance_days"
# dbt var naming how many weeks of the fiscal year the two CBHI reports may lie apart.
MAX_FISCAL_WEEK_DISTANCE_VAR = "evaluation_max_fiscal_week_distance"
# CBHI coverage is cumulative within a fiscal year, which starts on 1 July (RSSB).
# dbt var with the month-day at which fiscal years are compared (RSSB's mid-year checkpoint).
SAME_DATE_VAR = "cbhi_same_date"


@dataclass(frozen=True)
class PeriodRules:
    """The rules a CBHI period must meet. Their values are dbt vars (``dbt_project.yml`` is
    their one home; :meth:`from_vars` reads them): how far (days) the report nearest to a
    requested date may lie, how many weeks of the fiscal year the two reports may lie apart,
    and the month-day (``MM-DD``) at which fiscal years are compared by default."""

    max_report_distance_days: int
    max_fiscal_week_distance: int
    same_date: str

    @classmethod
    def from_vars(cls, variables: Mapping[str, object]) -> PeriodRules:
        """From dbt's project vars (``dbt_vars.project_vars``); KeyError if one is
        missing."""
        return cls(
            max_report_distance_days=int(str(variables[MAX_REPORT_DISTANCE_VAR])),
            max_fiscal_week_distance=int(str(variables[MAX_FISCAL_WEEK_DISTANCE_VAR])),
            same_date=str(variables[SAME_DATE_VAR]),
        )


_PATTERNS: tuple[tuple[Granularity, re.Pattern[str]], ...] = (
    ("year", re.compile(r"^(\d{4})$")),
    ("month", re.compile(r"^(\d{4})-(\d{2})$")),
    ("day", re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")),
)
_EXAMPLES: dict[Granularity, str] = {"year": "2021", "month": "2021-03", "day": "2021-03-23"}


class PeriodError(ValueError):
    """A period that does not exist in the warehouse, or a range that makes no sense."""


@dataclass(frozen=True)
class Period:
    """What the user wrote, parsed: ``granularity`` and the first day it covers."""

    text: str
    granularity: Granularity
    start: dt.date


def parse_period(text: str) -> Period:
    """``2021`` → year, ``2021-03`` → month, ``2021-03-23`` → day; anything else is refused."""
    value = text.strip()
    for granularity, pattern in _PATTERNS:
        found = pattern.match(value)
        if found:
            parts = [int(p) for p in found.groups()] + [1] * (3 - len(found.groups()))
            try:
                return Period(value, granularity, dt.date(*parts))
            except ValueError as error:
                raise PeriodError(f"{value!r} is not a real date: {error}") from None
    raise PeriodError(
        f"{value!r} is not a period: write a year (2021), a month (2021-03) or a day (2021-03-23)"
    )


def _expect(period: Period, granularity: Granularity, topic: str, why: str) -> None:
    if period.granularity != granularity:
        raise PeriodError(
            f"{topic} {why}: give a {granularity} such as {_EXAMPLES[granularity]}, "
            f"not {period.text!r}"
        )


def _ordered(start: str, end: str, what: str) -> None:
    raise PeriodError(f"--from {start} is not before --to {end}: the baseline {what}")


def accreditation_years(
    con: duckdb.DuckDBPyConnection, start: str | None, end: str | None
) -> tuple[int, int]:
    """The two survey years to compare; defaults are the paper's. Each must have been loaded."""
    years = [
        int(row[0])
        for row in con.execute(
            "select distinct survey_year from marts.fct_accreditation order by 1"
        ).fetchall()
    ]
    chosen = []
    for text, default in ((start, PAPER_YEARS[0]), (end, PAPER_YEARS[1])):
        if text is None:
            year = default
        else:
            period = parse_period(text)
            _expect(period, "year", "accreditation", "surveys are yearly")
            year = period.start.year
        if year not in years:
            loaded = ", ".join(str(y) for y in years) or "none"
            raise PeriodError(f"no accreditation survey for {year}: surveys loaded are {loaded}")
        chosen.append(year)
    if chosen[0] >= chosen[1]:
        _ordered(str(chosen[0]), str(chosen[1]), "survey must come before the endline survey")
    return chosen[0], chosen[1]


def cbhi_report_dates(
    con: duckdb.DuckDBPyConnection,
    start: str | None,
    end: str | None,
    *,
    rules: PeriodRules,
) -> tuple[tuple[dt.date, dt.date], tuple[dt.date, dt.date]]:
    """The requested dates and the Friday reports nearest to them: ``((asked0, asked1),
    (report0, report1))``. Defaults are the paper's years at ``rules.same_date`` (MM-DD).

    Refused: a date before the first or after the last loaded report; a nearest report more
    than ``rules.max_report_distance_days`` away (a gap in the weekly series); a baseline not
    before the endline, or both dates falling on the same report; two reports more than
    ``rules.max_fiscal_week_distance`` weeks apart in their fiscal years (:func:`fiscal_week`):
    coverage is cumulative from each 1 July, so such reports measure different things.
    """
    first, last = con.execute(
        "select min(report_date), max(report_date) from marts.fct_cbhi_weekly"
    ).fetchone() or (None, None)
    if first is None or last is None:
        raise PeriodError("no CBHI weekly reports are loaded: run `tpn ingest` and `tpn build`")
    asked = []
    for text, year in ((start, PAPER_YEARS[0]), (end, PAPER_YEARS[1])):
        if text is None:
            day = dt.date.fromisoformat(f"{year}-{rules.same_date}")
        else:
            period = parse_period(text)
            _expect(period, "day", "cbhi_enrollment", "is compared on weekly reports")
            day = period.start
        if not first <= day <= last:
            raise PeriodError(f"{day} is outside the loaded CBHI reports ({first} to {last})")
        asked.append(day)
    if asked[0] >= asked[1]:
        _ordered(str(asked[0]), str(asked[1]), "date must come before the endline date")
    reports = []
    for day in asked:
        report = nearest_report_date(con, day)
        assert report is not None  # some report exists: checked above
        distance = abs((report - day).days)
        if distance > rules.max_report_distance_days:
            raise PeriodError(
                f"the CBHI report nearest to {day} is {report}, {distance} days away "
                f"(more than {rules.max_report_distance_days}, dbt var "
                f"{MAX_REPORT_DISTANCE_VAR})"
            )
        reports.append(report)
    if reports[0] == reports[1]:
        raise PeriodError(
            f"{asked[0]} and {asked[1]} both fall on the report of {reports[0]}: "
            "choose dates further apart"
        )
    weeks = [fiscal_week(report) for report in reports]
    if abs(weeks[0] - weeks[1]) > rules.max_fiscal_week_distance:
        raise PeriodError(
            f"the CBHI reports of {reports[0]} (week {weeks[0]} of its fiscal year) and "
            f"{reports[1]} (week {weeks[1]}) are {abs(weeks[0] - weeks[1])} weeks apart in the "
            f"fiscal year (more than {rules.max_fiscal_week_distance}, dbt var "
            f"{MAX_FISCAL_WEEK_DISTANCE_VAR}): coverage restarts each 1 July, so compare the "
            "same point of two fiscal years"
        )
    return (asked[0], asked[1]), (reports[0], reports[1])


def nearest_report_date(con: duckdb.DuckDBPyConnection, target: dt.date) -> dt.date | None:
    """The Friday report closest to a date (the earlier one on a tie)."""
    row = con.execute(
        """
        select report_date from marts.fct_cbhi_weekly
        group by report_date
        order by abs(date_diff('day', ?::date, report_date)), report_date
        limit 1
        """,
        [target],
    ).fetchone()
    return None if row is None else row[0]
