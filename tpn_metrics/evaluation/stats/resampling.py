"""Resampling methods for the difference in mean change (pp): a permutation test and a
percentile bootstrap confidence interval. Both are reproducible for a given seed.
"""

from __future__ import annotations

import itertools
import math

import numpy as np

from tpn_metrics.evaluation.stats.inputs import (
    ALTERNATIVE,
    BATCH_ELEMENTS,
    NAN,
    FloatArray,
    Values,
    check_confidence,
    check_resamples,
    join_notes,
    two_groups,
)
from tpn_metrics.evaluation.stats.results import TestResult, too_few_to_test


def permutation_test(
    changes_focus: Values,
    changes_comparison: Values,
    n_resamples: int = 10_000,
    seed: int = 20240,
) -> TestResult:
    """One-sided permutation test of the difference in mean change (focus - comparison).

    The statistic is the observed difference in means. Under the null the group labels are
    exchangeable, so the p-value is the share of relabelings whose difference is at least the
    observed one. When the number of distinct splits C(n1+n2, n1) is at most ``n_resamples``
    all splits are enumerated and the p-value is exact; otherwise ``n_resamples`` random
    relabelings are drawn from ``numpy.random.default_rng(seed)`` and p = (k + 1)/(B + 1), which
    counts the observed labeling and so never reports p = 0.

    Needs at least 2 institutions per group, like ``scipy.stats.permutation_test`` and the
    other tests here; even then the smallest attainable p-value, 1/C(n1+n2, n1), can be large
    for tiny groups (1/6 for 2 against 2).
    """
    check_resamples(n_resamples)
    method = "permutation"
    a, b, extra = two_groups(changes_focus, changes_comparison)
    if (too_small := too_few_to_test(method, a, b, extra)) is not None:
        return too_small
    n_a, n_b = int(a.size), int(b.size)

    pooled = np.concatenate([a, b])
    size = pooled.size
    total = float(pooled.sum())

    def differences(focus_sums: FloatArray) -> FloatArray:
        return focus_sums / n_a - (total - focus_sums) / n_b

    observed = float(differences(np.array([a.sum()]))[0])
    # Relabelings that tie with the observed split must count as "at least as extreme"; the
    # tolerance absorbs rounding from summing the same values in a different order.
    gamma = 10.0 * size * np.finfo(np.float64).eps * float(np.max(np.abs(pooled)))

    n_splits = math.comb(size, n_a)
    if n_splits <= n_resamples:
        splits = np.array(list(itertools.combinations(range(size), n_a)), dtype=np.intp)
        null = differences(pooled[splits].sum(axis=1))
        k = int(np.sum(null >= observed - gamma))
        p_value = k / n_splits
        how = f"exact: all {n_splits} splits enumerated"
    else:
        rng = np.random.default_rng(seed)
        batch = max(1, BATCH_ELEMENTS // size)
        k = 0
        remaining = n_resamples
        while remaining > 0:
            rows = min(batch, remaining)
            shuffled = rng.permuted(np.tile(pooled, (rows, 1)), axis=1)
            null = differences(shuffled[:, :n_a].sum(axis=1))
            k += int(np.sum(null >= observed - gamma))
            remaining -= rows
        p_value = (k + 1) / (n_resamples + 1)
        how = f"Monte Carlo: {n_resamples} random relabelings, seed {seed}"
    return TestResult(
        method=method,
        statistic=observed,
        p_value=p_value,
        alternative=ALTERNATIVE,
        n_focus=n_a,
        n_comparison=n_b,
        note=join_notes(how, extra),
    )


def bootstrap_ci_difference(
    changes_focus: Values,
    changes_comparison: Values,
    n_resamples: int = 10_000,
    confidence: float = 0.95,
    seed: int = 20240,
) -> tuple[float, float]:
    """Percentile bootstrap confidence interval for the difference in mean change (pp).

    Each group is resampled with replacement independently, because institutions were not
    paired across groups. Returns ``(nan, nan)`` when either group has fewer than 2
    institutions: resampling a single value gives a spuriously narrow interval. Missing values
    are excluded.
    """
    check_resamples(n_resamples)
    check_confidence(confidence)
    a, b, _ = two_groups(changes_focus, changes_comparison)
    if a.size < 2 or b.size < 2:
        return (NAN, NAN)
    rng = np.random.default_rng(seed)
    batch = max(1, BATCH_ELEMENTS // max(a.size, b.size))
    estimates = np.empty(n_resamples, dtype=np.float64)
    for start in range(0, n_resamples, batch):
        rows = min(batch, n_resamples - start)
        pick_a = rng.integers(0, a.size, size=(rows, a.size))
        pick_b = rng.integers(0, b.size, size=(rows, b.size))
        estimates[start : start + rows] = a[pick_a].mean(axis=1) - b[pick_b].mean(axis=1)
    alpha = 1.0 - confidence
    low, high = np.quantile(estimates, [alpha / 2, 1 - alpha / 2])
    return (float(low), float(high))
