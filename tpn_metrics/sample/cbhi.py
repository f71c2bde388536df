"""RSSB's weekly CBHI counts for three fiscal years, 30 districts.

Members pay mostly in July to October, when the fiscal year's contributions fall due, then slowly
until June, so each year's cumulative count follows a logistic curve plus a small steady trickle.
RSSB's targets for most districts sit close to the true eligible population; seven are stale
projections, far too low where growth was fast and too high where it was slow, which is what
pushes reported coverage past 100 %. The counts at the two dates the paper compares are set so
the focus and comparison districts' mean changes in reported coverage are the paper's.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from tpn_metrics.calendar import (
    first_day_of_fiscal_year,
    fiscal_year_start_year,
    last_day_of_fiscal_year,
)
from tpn_metrics.reference import District
from tpn_metrics.sample.timeline import (
    BASELINE_DAY,
    ENDLINE_DAY,
    FIRST_REPORT,
    FISCAL_YEARS,
    LAST_REPORT,
    fridays,
    nearest_friday,
    true_eligible_population,
)

FOCUS_CHANGE_PP = 6.6
COMPARISON_CHANGE_PP = 3.0
TOO_LOW = "too_low"
TOO_HIGH = "too_high"
STALE_TOO_LOW = 4
STALE_TOO_HIGH = 3
# Candidates are the fastest- and slowest-growing districts between the censuses: a stale
# projection misses most where growth departed most from the old trend.
TOO_LOW_CANDIDATES = 5
TOO_HIGH_CANDIDATES = 6
FRESH_TARGET_TOLERANCE = 0.025
MEMBERS_CAP = 1.5  # the contract's members_paid ≤ 1.5 * target_population
MEMBERS_PER_HOUSEHOLD = (4.15, 4.45)
RWF_PER_MEMBER = (2940.0, 3060.0)
CORRECTION_FISCAL_YEAR = 2021

Key = tuple[str, int]
"""(district_id, fiscal year start)."""


@dataclass(frozen=True)
class WeeklyRow:
    """One district's line of an RSSB weekly update (persons, households, RWF)."""

    district_id: str
    target_population: int
    members_paid: int
    households_paid: int
    amount_collected_rwf: int
    coverage_rate_as_written: float | None = None
    """A coverage_rate cell that disagrees with the counts (an injected anomaly), else None."""

    @property
    def coverage_rate(self) -> float:
        """As RSSB reports it: members over its own target, in percent, one decimal."""
        return round(self.members_paid / self.target_population * 100, 1)


@dataclass(frozen=True)
class StaleTarget:
    """A district whose RSSB target drifts above or below (``direction``) the true population."""

    district_id: str
    direction: str
    target_vs_true_pct: tuple[float, ...]
    """(target / true eligible - 1) * 100 for each fiscal year in ``FISCAL_YEARS``."""


@dataclass(frozen=True)
class Correction:
    """The weekly file RSSB re-sends with corrected members paid for one district (persons)."""

    district_id: str
    report_date: dt.date
    previous_members: int
    corrected_members: int


@dataclass(frozen=True)
class CbhiSample:
    """The drawn CBHI series: weekly rows by report date, targets and true eligible population
    by (district, fiscal year), the stale targets, the correction and the evaluation dates.
    """

    report_dates: tuple[dt.date, ...]
    rows: dict[dt.date, tuple[WeeklyRow, ...]]
    true_eligible: dict[Key, float]
    targets: dict[Key, int]
    stale: tuple[StaleTarget, ...]
    correction: Correction
    baseline_date: dt.date
    endline_date: dt.date


@dataclass(frozen=True)
class _Shape:
    midpoint_weeks: float
    width_weeks: float
    trickle_share: float


def _weeks_since_start(day: dt.date, fiscal_year: int) -> float:
    # Counted to the end of ``day``: a report issued on 1 July already holds that day's payments.
    return ((day - first_day_of_fiscal_year(fiscal_year)).days + 1) / 7


def _progress(day: dt.date, fiscal_year: int, shape: _Shape) -> float:
    """Share of the year's final members paid by the end of ``day``: 1 on 30 June."""
    horizon = _weeks_since_start(last_day_of_fiscal_year(fiscal_year), fiscal_year)

    def logistic(weeks: float) -> float:
        return 1 / (1 + math.exp(-(weeks - shape.midpoint_weeks) / shape.width_weeks))

    weeks = _weeks_since_start(day, fiscal_year)
    s_curve = (logistic(weeks) - logistic(0)) / (logistic(horizon) - logistic(0))
    return (1 - shape.trickle_share) * s_curve + shape.trickle_share * weeks / horizon


def _stale_districts(districts: Sequence[District], rng: np.random.Generator) -> dict[str, str]:
    by_growth = sorted(
        districts, key=lambda d: (d.population_2022 / d.population_2012, d.district_id)
    )
    slow = [d.district_id for d in by_growth[:TOO_HIGH_CANDIDATES]]
    fast = [d.district_id for d in by_growth[-TOO_LOW_CANDIDATES:]]
    out = dict.fromkeys((str(d) for d in rng.choice(slow, STALE_TOO_HIGH, replace=False)), TOO_HIGH)
    out.update(
        dict.fromkeys((str(d) for d in rng.choice(fast, STALE_TOO_LOW, replace=False)), TOO_LOW)
    )
    return out


def _targets(
    districts: Sequence[District],
    true: dict[Key, float],
    stale: dict[str, str],
    rng: np.random.Generator,
) -> dict[Key, int]:
    targets: dict[Key, int] = {}
    for district in districts:
        did = district.district_id
        # A stale projection drifts further from the truth every year it is rolled forward.
        start = {TOO_LOW: rng.uniform(0.19, 0.23), TOO_HIGH: rng.uniform(0.17, 0.22)}.get(
            stale.get(did, ""), 0.0
        )
        for k, fy in enumerate(FISCAL_YEARS):
            if stale.get(did) == TOO_LOW:
                factor = 1 - (start + 0.03 * k)
            elif stale.get(did) == TOO_HIGH:
                factor = 1 + (start + 0.025 * k)
            else:
                factor = 1 + rng.uniform(-FRESH_TARGET_TOLERANCE, FRESH_TARGET_TOLERANCE)
            targets[(did, fy)] = round(true[(did, fy)] * factor)
    return targets


def build_cbhi(
    districts: Sequence[District], focus: frozenset[str], rng: np.random.Generator
) -> CbhiSample:
    """Draw weekly CBHI enrolment for ``districts`` with ``rng``: focus districts (ids in
    ``focus``) gain more coverage, as calibrated to the paper (changes in pp).
    """
    dates = fridays(FIRST_REPORT, LAST_REPORT)
    baseline = nearest_friday(BASELINE_DAY, dates)
    endline = nearest_friday(ENDLINE_DAY, dates)
    last_fy = fiscal_year_start_year(endline)
    ids = [d.district_id for d in districts]
    true = {
        (d.district_id, fy): true_eligible_population(d.population_2012, d.population_2022, fy)
        for d in districts
        for fy in FISCAL_YEARS
    }
    stale = _stale_districts(districts, rng)
    targets = _targets(districts, true, stale, rng)

    for _attempt in range(200):
        shapes, finals = _draw_curves(
            districts, true, stale=stale, focus=focus, last_fy=last_fy, rng=rng
        )
        _calibrate(
            finals,
            shapes,
            targets,
            focus=focus,
            ids=ids,
            baseline=baseline,
            endline=endline,
        )
        if _plausible(finals, true, targets, stale):
            break
    else:
        raise RuntimeError(
            "could not draw plausible CBHI enrolment curves; check the reference data"
        )

    members = {
        key: [
            round(finals[key] * _progress(day, key[1], shapes[key]))
            for day in dates
            if fiscal_year_start_year(day) == key[1]
        ]
        for key in finals
    }
    plain = [d for d in ids if d not in stale and d not in focus]
    correction = _correct_once(
        rng, members, dates=dates, candidates=plain, finals=finals, shapes=shapes
    )

    per_household = {key: rng.uniform(*MEMBERS_PER_HOUSEHOLD) for key in finals}
    per_member = {key: rng.uniform(*RWF_PER_MEMBER) for key in finals}
    rows: dict[dt.date, tuple[WeeklyRow, ...]] = {}
    week_of_year: dict[int, int] = {}
    for day in dates:
        fy = fiscal_year_start_year(day)
        week = week_of_year.get(fy, 0)
        week_of_year[fy] = week + 1
        rows[day] = tuple(
            WeeklyRow(
                district_id=did,
                target_population=targets[(did, fy)],
                members_paid=members[(did, fy)][week],
                households_paid=round(members[(did, fy)][week] / per_household[(did, fy)]),
                amount_collected_rwf=round(members[(did, fy)][week] * per_member[(did, fy)]),
            )
            for did in ids
        )
    stale_out = tuple(
        StaleTarget(
            district_id=did,
            direction=stale[did],
            target_vs_true_pct=tuple(
                round((targets[(did, fy)] / true[(did, fy)] - 1) * 100, 1) for fy in FISCAL_YEARS
            ),
        )
        for did in ids
        if did in stale
    )
    return CbhiSample(
        report_dates=tuple(dates),
        rows=rows,
        true_eligible=true,
        targets=targets,
        stale=stale_out,
        correction=correction,
        baseline_date=baseline,
        endline_date=endline,
    )


def _draw_curves(
    districts: Sequence[District],
    true: dict[Key, float],
    *,
    stale: dict[str, str],
    focus: frozenset[str],
    last_fy: int,
    rng: np.random.Generator,
) -> tuple[dict[Key, _Shape], dict[Key, float]]:
    """Curve shapes and final members (before calibration) for every district and year."""
    shapes = {
        key: _Shape(rng.uniform(7.0, 11.0), rng.uniform(2.5, 4.0), rng.uniform(0.12, 0.2))
        for key in true
    }
    finals: dict[Key, float] = {}
    for district in districts:
        did = district.district_id
        base = rng.uniform(0.77, 0.87)
        for k, fy in enumerate(FISCAL_YEARS):
            share = base + 0.01 * k + rng.uniform(-0.015, 0.015)
            if fy == last_fy and did in focus:
                share += 0.03
            if stale.get(did) == TOO_LOW:
                # High enough that the too-low target visibly pushes coverage past 100 %.
                share = max(share, 0.84)
            finals[(did, fy)] = share * true[(did, fy)]
    return shapes, finals


def _reported(final: float, key: Key, day: dt.date, shape: _Shape, target: int) -> float:
    """Coverage as RSSB reports it on ``day``, from the whole members count written that day."""
    return round(final * _progress(day, key[1], shape)) / target * 100


def _calibrate(
    finals: dict[Key, float],
    shapes: dict[Key, _Shape],
    targets: dict[Key, int],
    *,
    focus: frozenset[str],
    ids: Sequence[str],
    baseline: dt.date,
    endline: dt.date,
) -> None:
    """Rescale the endline year so each group's mean change is the paper's, keeping spreads.

    Each district keeps its own drawn change; the group's mean is shifted onto the target by
    moving every member's endline count equally in coverage points.
    """
    first_fy, last_fy = fiscal_year_start_year(baseline), fiscal_year_start_year(endline)

    def at(did: str, fy: int, day: dt.date) -> float:
        key = (did, fy)
        return _reported(finals[key], key, day, shapes[key], targets[key])

    start = {did: at(did, first_fy, baseline) for did in ids}
    natural = {did: at(did, last_fy, endline) - start[did] for did in ids}
    for group, wanted in (
        (focus, FOCUS_CHANGE_PP),
        (frozenset(ids) - focus, COMPARISON_CHANGE_PP),
    ):
        shift = wanted - float(np.mean([natural[d] for d in group]))
        for did in group:
            key = (did, last_fy)
            endline_members = (start[did] + natural[did] + shift) / 100 * targets[key]
            finals[key] = endline_members / _progress(endline, last_fy, shapes[key])


def _plausible(
    finals: dict[Key, float],
    true: dict[Key, float],
    targets: dict[Key, int],
    stale: dict[str, str],
) -> bool:
    """Final true coverage 70 to 97 %, under the contract's cap, and ≥ 3 districts past 100 %."""
    if any(not 0.70 <= finals[key] / true[key] <= 0.97 for key in finals):
        return False
    if any(finals[key] / targets[key] > MEMBERS_CAP - 0.05 for key in finals):
        return False
    over_100 = {key[0] for key in finals if finals[key] / targets[key] > 1.0}
    return len(over_100) >= 3 and over_100 <= {d for d, s in stale.items() if s == TOO_LOW}


def _correct_once(
    rng: np.random.Generator,
    members: dict[Key, list[int]],
    *,
    dates: Sequence[dt.date],
    candidates: Sequence[str],
    finals: dict[Key, float],
    shapes: dict[Key, _Shape],
) -> Correction:
    """RSSB revises one district's count down once: the drop persists and growth resumes.

    It happens in 2021/22, away from the weeks the paper compares, in a district that is
    neither stale nor in focus, so the correction is visible without moving any headline.
    """
    district = candidates[int(rng.integers(len(candidates)))]
    year_dates = [d for d in dates if fiscal_year_start_year(d) == CORRECTION_FISCAL_YEAR]
    window = [
        i
        for i, d in enumerate(year_dates)
        if dt.date(CORRECTION_FISCAL_YEAR, 11, 1) <= d <= dt.date(CORRECTION_FISCAL_YEAR + 1, 1, 31)
    ]
    week = window[int(rng.integers(len(window)))]
    key = (district, CORRECTION_FISCAL_YEAR)
    series = members[key]
    corrected = round(series[week - 1] * (1 - rng.uniform(0.012, 0.028)))
    factor = corrected / series[week]
    for i in range(week, len(series)):
        series[i] = round(
            finals[key] * _progress(year_dates[i], CORRECTION_FISCAL_YEAR, shapes[key]) * factor
        )
    series[week] = corrected
    return Correction(district, year_dates[week], series[week - 1], corrected)
