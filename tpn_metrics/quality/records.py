"""The records of the data-quality review: DQR dimensions, flags, scorecard cells.

Units follow the marts (docs/data_quality.md): percentages 0–100 (%), gaps in percentage
points (pp), days, members, persons per household.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum
from typing import Literal


class Dimension(StrEnum):
    """The DQR's dimensions, in the words stored in ``fct_dq_flags.dimension``."""

    COMPLETENESS = "completeness"
    TIMELINESS = "timeliness"
    OUTLIERS = "outliers"
    CONSISTENCY_OVER_TIME = "consistency_over_time"
    INTERNAL_CONSISTENCY = "internal_consistency"
    DENOMINATORS = "denominators"


DIMENSION_TITLES: dict[Dimension, str] = {
    Dimension.COMPLETENESS: "Completeness",
    Dimension.TIMELINESS: "Timeliness",
    Dimension.OUTLIERS: "Outliers",
    Dimension.CONSISTENCY_OVER_TIME: "Consistency over time",
    Dimension.INTERNAL_CONSISTENCY: "Internal consistency",
    Dimension.DENOMINATORS: "Denominators",
}
"""The dimensions' names as people read them (WHO DQR, 2017)."""

UNUSUAL_VALUE_DIMENSIONS = frozenset(
    {
        Dimension.OUTLIERS,
        Dimension.CONSISTENCY_OVER_TIME,
        Dimension.INTERNAL_CONSISTENCY,
        Dimension.DENOMINATORS,
    }
)
"""Dimensions whose flags are "unusual values" in the district email (not lateness, not
missing data)."""

#: Findings the district email states elsewhere, every week (the corrections' stale target).
STANDING_MEASURES = frozenset({"target_stale"})

Status = Literal["ok", "flagged", "not_applicable"]
TimelinessStatus = Literal["on_time", "late", "backfilled", "unknown"]


@dataclass(frozen=True)
class Flag:
    """One flagged value: a row of ``marts.fct_dq_flags``.

    ``observed_value`` and ``expected_value`` are in ``unit`` ('members', 'pp', 'percent',
    'days', 'persons per household', 'ratio'); ``detail`` is the mart's English sentence.
    RSSB flags have ``report_date``; accreditation flags have ``survey_year``/``hospital_id``.
    """

    flag_id: str
    source: str  # 'rssb_weekly' | 'accreditation'
    district_id: str | None
    hospital_id: str | None
    report_date: dt.date | None
    survey_year: int | None
    dimension: Dimension
    measure: str
    observed_value: float | None
    expected_value: float | None
    unit: str
    detail: str


@dataclass(frozen=True)
class Cell:
    """One scorecard cell: a dimension's status for a district and week, with its flags
    (0 unless flagged)."""

    dimension: Dimension
    status: Status
    flags: int


@dataclass(frozen=True)
class DistrictQuality:
    """One district's review for one RSSB report date (a Friday).

    ``cells`` has one cell per :class:`Dimension`, in the enum's order; ``flags`` are the
    district's RSSB flags of that week, in the order of ``fct_dq_flags`` (dimension, measure).
    ``days_after_report_date`` is in days; the fill rates in % (0–100).
    """

    district_id: str
    district_name: str
    report_date: dt.date
    timeliness_status: TimelinessStatus
    days_after_report_date: float | None
    is_district_reported: bool
    required_fields_filled_pct: float | None
    cells: tuple[Cell, ...]
    flags: tuple[Flag, ...]

    def cell(self, dimension: Dimension) -> Cell:
        """The cell of ``dimension`` (KeyError if the review lacks it)."""
        for cell in self.cells:
            if cell.dimension == dimension:
                return cell
        raise KeyError(dimension)

    @property
    def is_complete(self) -> bool:
        """The district is in the week's file and completeness raised no flag."""
        return self.is_district_reported and self.cell(Dimension.COMPLETENESS).status == "ok"

    @property
    def unusual_values(self) -> tuple[Flag, ...]:
        """Flags of the value dimensions (outliers, consistency, denominators), except a stale
        RSSB target: the email's "which figure to trust" paragraph already explains it every
        week, and it is not news about this week's data."""
        return tuple(
            f
            for f in self.flags
            if f.dimension in UNUSUAL_VALUE_DIMENSIONS and f.measure not in STANDING_MEASURES
        )


@dataclass(frozen=True)
class WeekReview:
    """The review of one RSSB report date: every district's quality (by district name),
    the number of districts in that week's file (of ``expected_districts``), and the
    accreditation flags (survey-level, not weekly), filtered to a district when asked."""

    report_date: dt.date
    districts_in_file: int | None
    expected_districts: int
    districts: tuple[DistrictQuality, ...]
    accreditation_flags: tuple[Flag, ...]

    @property
    def flags(self) -> tuple[Flag, ...]:
        """Every RSSB flag of the week, district by district."""
        return tuple(f for d in self.districts for f in d.flags)

    def district(self, district_id: str) -> DistrictQuality | None:
        """The review of ``district_id``; None when the marts have no row for it that week."""
        return next((d for d in self.districts if d.district_id == district_id), None)
