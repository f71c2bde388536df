"""Descriptive summary of before/after changes in one group of institutions (pp)."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from tpn_metrics.evaluation.stats.inputs import (
    NAN,
    Values,
    as_float_array,
    drop_missing,
    is_constant,
    sample_var,
)


@dataclass(frozen=True)
class GroupSummary:
    """Before/after summary of one group of institutions.

    ``n`` counts institutions with both values; ``n_missing`` those excluded because either value
    is missing. ``n_missing_baseline`` and ``n_missing_endline`` break that down (an institution
    missing both is counted in each, so they can sum to more than ``n_missing``). Percentages are
    of ``n`` (0-100) and NaN when ``n`` is 0.
    """

    n: int
    n_missing: int
    n_missing_baseline: int
    n_missing_endline: int
    baseline_mean: float
    endline_mean: float
    mean_change_pp: float
    sd_change_pp: float
    n_improved: int
    n_unchanged: int
    n_declined: int
    pct_improved: float
    pct_unchanged: float
    pct_declined: float


def summarise_changes(baseline: Values, endline: Values, tolerance: float = 0.0) -> GroupSummary:
    """Summarise the change from ``baseline`` to ``endline`` (one pair per institution).

    Pairs with either value missing are excluded from every statistic and counted in
    ``n_missing``. A change with ``|change| <= tolerance`` counts as unchanged, so measurement
    noise below the tolerance is not reported as improvement or decline.
    """
    if tolerance < 0 or math.isnan(tolerance):
        raise ValueError(f"tolerance must be a non-negative number, got {tolerance}")
    before = as_float_array(baseline, "baseline")
    after = as_float_array(endline, "endline")
    if before.shape != after.shape:
        raise ValueError(
            f"baseline and endline must have equal length, got {before.size} and {after.size}"
        )
    missing_before = np.isnan(before)
    missing_after = np.isnan(after)
    complete = ~(missing_before | missing_after)
    before, after = before[complete], after[complete]
    change = after - before
    n = int(change.size)

    n_improved = int(np.sum(change > tolerance))
    n_declined = int(np.sum(change < -tolerance))
    n_unchanged = n - n_improved - n_declined

    def pct(count: int) -> float:
        return 100.0 * count / n if n else NAN

    return GroupSummary(
        n=n,
        n_missing=int((~complete).sum()),
        n_missing_baseline=int(missing_before.sum()),
        n_missing_endline=int(missing_after.sum()),
        baseline_mean=float(before.mean()) if n else NAN,
        endline_mean=float(after.mean()) if n else NAN,
        mean_change_pp=float(change.mean()) if n else NAN,
        sd_change_pp=math.sqrt(sample_var(change)) if n >= 2 else NAN,
        n_improved=n_improved,
        n_unchanged=n_unchanged,
        n_declined=n_declined,
        pct_improved=pct(n_improved),
        pct_unchanged=pct(n_unchanged),
        pct_declined=pct(n_declined),
    )


def standardised_difference(focus: Values, comparison: Values) -> float:
    """Standardised mean difference of two groups' values (e.g. baselines, in one unit):
    (mean focus − mean comparison) / pooled SD, pooled SD = √((s²_focus + s²_comparison) / 2)
    with sample variances (Austin 2009, Stat Med 28:3083; Stuart 2010). Signed, unitless.

    Missing values (None/NaN) are dropped. NaN when a group has fewer than 2 values (no SD);
    ±inf when neither group varies but their means differ, 0.0 when they do not differ.
    """
    a, _missing_a = drop_missing(focus, "focus")
    b, _missing_b = drop_missing(comparison, "comparison")
    if a.size < 2 or b.size < 2:
        return NAN
    gap = float(a.mean() - b.mean())
    pooled_sd = math.sqrt((sample_var(a) + sample_var(b)) / 2)
    if pooled_sd == 0.0:
        return 0.0 if is_constant(np.concatenate((a, b))) else math.copysign(math.inf, gap)
    return gap / pooled_sd
