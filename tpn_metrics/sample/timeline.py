"""Dates and populations the synthetic sample is built on.

The true eligible population is defined here exactly as the brief for the demo states it, so
the generator's stale RSSB targets are stale against a known yardstick: a geometric projection
between the two census nights, less the share covered by other schemes.
"""

from __future__ import annotations

import datetime as dt

from tpn_metrics.calendar import CENSUS_2012_DATE, CENSUS_2022_DATE, OTHER_SCHEME_SHARE_DEFAULT

FISCAL_YEARS = (2020, 2021, 2022)
"""Start years of the fiscal years sampled: 2020/21, 2021/22, 2022/23 (1 July to 30 June)."""

FIRST_REPORT = dt.date(2020, 7, 3)
LAST_REPORT = dt.date(2023, 6, 30)

# The paper compares the reports nearest to these days (TPN launch and two years on).
BASELINE_DAY = dt.date(2021, 3, 23)
ENDLINE_DAY = dt.date(2023, 3, 23)


def target_reference_day(start_year: int) -> dt.date:
    """The day a fiscal year's target population refers to: its 1 January."""
    return dt.date(start_year + 1, 1, 1)


def fridays(first: dt.date, last: dt.date) -> list[dt.date]:
    """Every Friday from ``first`` to ``last`` inclusive."""
    day = first + dt.timedelta(days=(4 - first.weekday()) % 7)
    out = []
    while day <= last:
        out.append(day)
        day += dt.timedelta(days=7)
    return out


def nearest_friday(day: dt.date, candidates: list[dt.date]) -> dt.date:
    """The candidate Friday nearest to ``day``; ValueError when ``candidates`` is empty."""
    # Ties go to the earlier report: it is the one that existed on the day.
    return min(candidates, key=lambda friday: (abs((friday - day).days), friday))


def projected_population(population_2012: int, population_2022: int, on: dt.date) -> float:
    """Residents on ``on`` (unrounded persons): geometric interpolation (or extrapolation)
    between the census nights of dbt's vars (:data:`tpn_metrics.calendar.CENSUS_2012_DATE`)."""
    span = (CENSUS_2022_DATE - CENSUS_2012_DATE).days
    fraction = (on - CENSUS_2012_DATE).days / span
    return float(population_2012 * (population_2022 / population_2012) ** fraction)


def true_eligible_population(population_2012: int, population_2022: int, start_year: int) -> float:
    """Residents CBHI should cover in a fiscal year, the yardstick RSSB's targets are judged by."""
    day = target_reference_day(start_year)
    return projected_population(population_2012, population_2022, day) * (
        1 - OTHER_SCHEME_SHARE_DEFAULT
    )
