"""Permutation test and bootstrap interval against enumeration by hand and scipy."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats as sps

from tpn_metrics.evaluation.stats.resampling import bootstrap_ci_difference, permutation_test


def mean_difference(x: np.ndarray, y: np.ndarray, axis: int = -1) -> np.ndarray:
    return np.mean(x, axis=axis) - np.mean(y, axis=axis)


# ---------------------------------------------------------------------------------------------
# Permutation test


@pytest.mark.parametrize(
    ("focus", "comparison", "expected_p"),
    [
        # Pool {1, 2, 3, 5}, 2 vs 2: C(4, 2) = 6 splits. Difference of means per focus pair:
        # {1,2} -2.5, {1,3} -1.5, {1,5} 0.5, {2,3} -0.5, {2,5} 1.5, {3,5} 2.5.
        ([3.0, 5.0], [1.0, 2.0], 1 / 6),  # observed 2.5: only itself is >= 2.5
        ([2.0, 5.0], [1.0, 3.0], 2 / 6),  # observed 1.5: {2,5} and {3,5}
        ([1.0, 5.0], [2.0, 3.0], 3 / 6),  # observed 0.5: {1,5}, {2,5}, {3,5}
        # All values tied: every split gives 0 >= 0.
        ([1.0, 1.0], [1.0, 1.0], 1.0),
        # Pool {1, 2, 4, 5, 8}, 2 vs 3: C(5, 2) = 10 splits; difference = 5/6 * sum - 20/3 for a
        # focus pair summing to `sum`. Observed {5, 8}: sum 13 is the largest, so p = 1/10.
        ([5.0, 8.0], [1.0, 2.0, 4.0], 1 / 10),
        # Observed {2, 8} sums to 10; pairs with sum >= 10: {2,8}, {4,8}, {5,8} -> p = 3/10.
        ([2.0, 8.0], [1.0, 4.0, 5.0], 3 / 10),
    ],
)
def test_permutation_exact_by_hand(
    focus: list[float], comparison: list[float], expected_p: float
) -> None:
    result = permutation_test(focus, comparison)
    assert result.p_value == pytest.approx(expected_p, rel=1e-12)
    assert result.statistic == pytest.approx(np.mean(focus) - np.mean(comparison))
    assert result.note.startswith("exact")
    expected = sps.permutation_test(
        (focus, comparison),
        mean_difference,
        permutation_type="independent",
        alternative="greater",
        vectorized=True,
    )
    assert result.p_value == pytest.approx(expected.pvalue, rel=1e-12)


def test_permutation_exact_matches_scipy_with_ties() -> None:
    focus = [2.0, 0.0, 5.0, 5.0, 3.0, 0.0]
    comparison = [0.0, 1.0, 0.0, 2.0, -1.0, 0.0, 5.0]
    result = permutation_test(focus, comparison)  # C(13, 6) = 1716 splits
    expected = sps.permutation_test(
        (focus, comparison),
        mean_difference,
        permutation_type="independent",
        alternative="greater",
        vectorized=True,
        n_resamples=10_000,
    )
    assert result.note == "exact: all 1716 splits enumerated"
    assert result.p_value == pytest.approx(expected.pvalue, rel=1e-12)


def test_permutation_monte_carlo_agrees_with_exact_and_scipy() -> None:
    rng = np.random.default_rng(7)
    focus, comparison = rng.normal(1.0, 2, 8), rng.normal(0, 2, 8)
    # C(16, 8) = 12870: enumerated when allowed, sampled otherwise.
    exact = permutation_test(focus, comparison, n_resamples=20_000)
    sampled = permutation_test(focus, comparison, n_resamples=10_000)
    assert exact.note.startswith("exact")
    assert sampled.note.startswith("Monte Carlo")
    scipy_sampled = sps.permutation_test(
        (focus, comparison),
        mean_difference,
        permutation_type="independent",
        alternative="greater",
        vectorized=True,
        n_resamples=10_000,
        rng=np.random.default_rng(99),
    )
    p = exact.p_value
    monte_carlo_sd = math.sqrt(p * (1 - p) / 10_000)
    assert 0.01 < p < 0.99  # a fixture where the comparison is informative
    assert abs(sampled.p_value - p) < 4 * monte_carlo_sd
    assert abs(sampled.p_value - scipy_sampled.pvalue) < 6 * monte_carlo_sd


def test_permutation_monte_carlo_never_reports_zero() -> None:
    focus = np.arange(100.0, 110.0)
    comparison = np.arange(0.0, 10.0)
    result = permutation_test(focus, comparison, n_resamples=999)  # C(20, 10) = 184756
    assert result.p_value == 1 / 1000


def test_permutation_is_deterministic_for_a_seed() -> None:
    rng = np.random.default_rng(3)
    focus, comparison = rng.normal(0.5, 1, 15), rng.normal(0, 1, 15)
    first = permutation_test(focus, comparison, n_resamples=2_000, seed=11)
    again = permutation_test(focus, comparison, n_resamples=2_000, seed=11)
    other = permutation_test(focus, comparison, n_resamples=2_000, seed=12)
    assert first == again
    assert "seed 11" in first.note
    assert "seed 12" in other.note


@pytest.mark.parametrize(("focus", "comparison"), [([], [1.0, 2.0]), ([5.0], [1.0, 2.0])])
def test_permutation_needs_two_per_group(focus: list[float], comparison: list[float]) -> None:
    result = permutation_test(focus, comparison)
    assert math.isnan(result.p_value)
    assert math.isnan(result.statistic)
    assert "at least 2" in result.note


def test_permutation_rejects_zero_resamples() -> None:
    with pytest.raises(ValueError):
        permutation_test([1.0], [2.0], n_resamples=0)


# ---------------------------------------------------------------------------------------------
# Bootstrap


def test_bootstrap_agrees_with_scipy_percentile() -> None:
    rng = np.random.default_rng(5)
    focus, comparison = rng.normal(6, 5, 40), rng.normal(2, 8, 35)
    low, high = bootstrap_ci_difference(focus, comparison)
    expected = sps.bootstrap(
        (focus, comparison),
        mean_difference,
        method="percentile",
        vectorized=True,
        n_resamples=10_000,
        confidence_level=0.95,
        rng=np.random.default_rng(8),
    ).confidence_interval
    se = math.sqrt(focus.var(ddof=1) / 40 + comparison.var(ddof=1) / 35)
    # Each endpoint has Monte Carlo sd of about 0.03 standard errors with 10 000 resamples.
    assert low == pytest.approx(expected.low, abs=0.2 * se)
    assert high == pytest.approx(expected.high, abs=0.2 * se)
    # And both are close to the normal-theory interval for samples this size.
    diff = focus.mean() - comparison.mean()
    assert low == pytest.approx(diff - 1.96 * se, abs=0.3 * se)
    assert high == pytest.approx(diff + 1.96 * se, abs=0.3 * se)


def test_bootstrap_is_deterministic_and_ordered() -> None:
    focus, comparison = [3.0, 7.0, 1.0, 4.0, 9.0], [2.0, 2.5, -1.0, 0.0]
    first = bootstrap_ci_difference(focus, comparison, n_resamples=2_000, seed=4)
    assert first == bootstrap_ci_difference(focus, comparison, n_resamples=2_000, seed=4)
    low, high = first
    assert low < np.mean(focus) - np.mean(comparison) < high
    wide = bootstrap_ci_difference(focus, comparison, n_resamples=2_000, seed=4, confidence=0.99)
    assert wide[0] <= low
    assert wide[1] >= high


def test_bootstrap_coverage_is_roughly_nominal() -> None:
    rng = np.random.default_rng(2024)
    true_difference = 3.0
    covered = 0
    replications = 300
    for i in range(replications):
        focus = rng.normal(5.0, 4.0, 25)
        comparison = rng.normal(5.0 - true_difference, 6.0, 25)
        low, high = bootstrap_ci_difference(focus, comparison, n_resamples=1_000, seed=i)
        covered += low <= true_difference <= high
    # Percentile intervals undercover slightly at n = 25; 300 replications give sd ~ 0.013.
    assert 0.88 <= covered / replications <= 0.99


def test_bootstrap_small_and_degenerate_groups() -> None:
    assert all(math.isnan(v) for v in bootstrap_ci_difference([1.0], [1.0, 2.0]))
    assert bootstrap_ci_difference([2.0, 2.0, 2.0], [1.0, 1.0]) == (1.0, 1.0)
    with pytest.raises(ValueError):
        bootstrap_ci_difference([1.0, 2.0], [1.0, 2.0], confidence=1.0)
