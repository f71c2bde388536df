"""The figures of one district's weekly email: plain records, filled by ``district_weeks``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from tpn_metrics.quality.records import DistrictQuality


@dataclass(frozen=True)
class TwinStatus:
    """The TPN twin district's headline figure: coverage in %, weekly change in pp."""

    district_name: str
    coverage_reported_pct: float
    coverage_change_week_pp: float | None  # on the same basis as the primary coverage shown
    coverage_corrected_pct: float | None = None  # primary when present


@dataclass(frozen=True)
class ReportedBeside:
    """The same signals on RSSB's own target, shown beside the census-based ones.

    Units as in :class:`DistrictWeek`. Ranks are 1 = highest coverage.
    """

    coverage_change_week_pp: float | None
    gap_members: int
    gap_households: int | None
    projected_year_end_coverage_pct: float | None
    rank_national: int
    rank_province: int
    national_coverage_pct: float


@dataclass(frozen=True)
class DistrictWeek:
    """One district's Friday figures, as the email shows them.

    Every derived signal (weekly change in pp, gaps, projection, ranks, national coverage,
    chart) is on the **primary basis**: the census-corrected target when the district has
    one (``coverage_corrected_pct`` is not None), RSSB's target otherwise. ``reported`` then
    holds the same signals on RSSB's target, shown beside them where they differ.
    """

    district_id: str
    district_name: str
    province: str
    report_date: date  # the Friday
    fiscal_year: str  # e.g. "2022/23" (1 July - 30 June)
    members_paid: int
    households_paid: int | None
    target_population: int  # RSSB's target (the denominator RSSB uses)
    coverage_reported_pct: float  # members_paid / target x 100 as RSSB reports it
    coverage_corrected_pct: float | None  # vs a census-projected target; None if not available
    corrected_target_population: int | None
    # The mart's method ("geometric", "linear", "exponential": worded per language by the
    # labels method_<key>) or any other text, shown as given.
    correction_method: str | None
    members_paid_change_week: int | None  # since last Friday (negative = RSSB correction)
    coverage_change_week_pp: float | None  # primary basis, pp
    gap_members: int  # max(primary target - members_paid, 0)
    gap_households: int | None  # gap_members / (members per household RSSB reports)
    projected_year_end_coverage_pct: float | None  # at the recent pace, primary basis
    rank_national: int
    n_districts: int
    rank_province: int
    n_province: int
    national_coverage_pct: float  # all districts' members / all districts' primary targets
    twin: TwinStatus | None  # the TPN twin on CBHI, if any
    trajectory_this_fy: tuple[tuple[date, float], ...]  # (Friday, primary coverage %)
    trajectory_last_fy: tuple[tuple[date, float], ...]
    is_correction: bool = False  # RSSB re-issued this week's data; corrects an earlier email
    reported: ReportedBeside | None = None  # same signals on RSSB's target (None: no correction)
    # Reported and corrected differ by more than the dbt var coverage_divergence_threshold_pp
    # (fct_cbhi_coverage_corrected.is_coverage_divergent): the email says which to trust.
    is_coverage_divergent: bool = False
    trajectory_this_fy_reported: tuple[tuple[date, float], ...] = ()  # (Friday, reported %)
    # The week's data-quality review of this district (None: no review for the week, and
    # the email has no data-quality line).
    data_quality: DistrictQuality | None = None
