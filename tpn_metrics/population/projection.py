"""Project a district's population to any date from its two census counts.

The same formulas run in dbt (``fct_cbhi_coverage_corrected``); the tests check both agree to
the person. Time is measured in days between census reference nights, so the projection on
15 August 2022 is the 2022 count exactly.

Fitted to the same two counts, the geometric (constant annual rate, compounded yearly) and
exponential (constant continuous rate) projections are the same curve:
P0·(1+r)^t with r = (P1/P0)^(1/T) − 1 equals P0·e^(ρt) with ρ = ln(P1/P0)/T. We keep both
names because demographers ask for both; the published range is in practice linear vs
geometric.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Decimal

from tpn_metrics.calendar import CENSUS_2012_DATE, CENSUS_2022_DATE, OTHER_SCHEME_SHARE_DEFAULT

METHODS = ("linear", "geometric", "exponential")
DEFAULT_METHOD = "geometric"


def round_half_away(value: float) -> int:
    """Round to the nearest person, halves away from zero (as SQL's round does)."""
    return int(Decimal(repr(value)).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def census_fraction(
    day: dt.date, first: dt.date = CENSUS_2012_DATE, second: dt.date = CENSUS_2022_DATE
) -> float:
    """Where a date lies on the census interval: 0 at the first census, 1 at the second."""
    return (day - first).days / (second - first).days


def project_raw(population_2012: int, population_2022: int, day: dt.date, method: str) -> float:
    """Residents on ``day`` (unrounded persons) by ``method`` (linear | geometric |
    exponential) from the two census counts.

    Raises ValueError for a non-positive census count or an unknown method.
    """
    if population_2012 <= 0 or population_2022 <= 0:
        raise ValueError("census populations must be positive")
    f = census_fraction(day)
    if method == "linear":
        return population_2012 + (population_2022 - population_2012) * f
    if method == "geometric":
        return float(population_2012 * (population_2022 / population_2012) ** f)
    if method == "exponential":
        return population_2012 * math.exp(math.log(population_2022 / population_2012) * f)
    raise ValueError(f"unknown projection method '{method}' (use one of {', '.join(METHODS)})")


def project(
    population_2012: int, population_2022: int, day: dt.date, method: str = DEFAULT_METHOD
) -> int:
    """:func:`project_raw` rounded to whole persons, halves away from zero (as dbt's SQL)."""
    return round_half_away(project_raw(population_2012, population_2022, day, method))


def projection_range(
    population_2012: int, population_2022: int, day: dt.date
) -> tuple[int, int, int]:
    """(low, central, high): the central is geometric; low/high span all methods."""
    values = [project(population_2012, population_2022, day, m) for m in METHODS]
    central = project(population_2012, population_2022, day, DEFAULT_METHOD)
    return min(values), central, max(values)


def scale_to_control_total(projections: Mapping[str, int], control_total: int) -> dict[str, int]:
    """Scale district projections to sum exactly to a national control total.

    Largest-remainder rounding, so the districts add up to the person and each moves by less
    than one person from its exact proportional share.
    """
    total = sum(projections.values())
    if total <= 0:
        raise ValueError("projections must sum to a positive number")
    exact = {k: v * control_total / total for k, v in projections.items()}
    floors = {k: math.floor(v) for k, v in exact.items()}
    short = control_total - sum(floors.values())
    by_remainder = sorted(exact, key=lambda k: (-(exact[k] - floors[k]), k))
    for key in by_remainder[:short]:
        floors[key] += 1
    return floors


def cbhi_target(population: int, other_scheme_share: float = OTHER_SCHEME_SHARE_DEFAULT) -> int:
    """Residents eligible for CBHI: everyone not covered by another scheme."""
    if not 0 <= other_scheme_share < 1:
        raise ValueError("other_scheme_share must be in [0, 1)")
    return round_half_away(population * (1 - other_scheme_share))


def coverage_pct(members_paid: int, target: int) -> float:
    """Coverage in percent (0–100+) of a target population."""
    if target <= 0:
        raise ValueError("target must be positive")
    return members_paid / target * 100


def project_districts(
    populations: Mapping[str, tuple[int, int]],
    day: dt.date,
    method: str = DEFAULT_METHOD,
    control_total: int | None = None,
) -> dict[str, int]:
    """Every district's projection for a date; optionally scaled to a national control total
    (e.g. NISR's published national projection), so the districts add up to it exactly.
    """
    projections = {
        district: project(p2012, p2022, day, method)
        for district, (p2012, p2022) in populations.items()
    }
    if control_total is None:
        return projections
    return scale_to_control_total(projections, control_total)
