"""Checks of tpn_metrics.evaluation.stats against scipy and hand-computed values."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats as sps

from tpn_metrics.evaluation.stats import (
    DID_SE_TYPE,
    ancova_adjusted_difference,
    bootstrap_ci_difference,
    difference_in_differences,
    permutation_test,
    summarise_changes,
    welch_t_test,
    z_test_difference,
    z_test_within,
)


def normal_sf(z: float) -> float:
    """1 - Phi(z) without scipy, so hand checks do not depend on the code under test's tools."""
    return 0.5 * math.erfc(z / math.sqrt(2))


def mean_difference(x: np.ndarray, y: np.ndarray, axis: int = -1) -> np.ndarray:
    return np.mean(x, axis=axis) - np.mean(y, axis=axis)


# ---------------------------------------------------------------------------------------------
# summarise_changes


def test_summary_counts_ties_as_unchanged_and_percentages_sum_to_100() -> None:
    # changes: +5, 0, -5, 0
    s = summarise_changes([50, 60, 70, 80], [55, 60, 65, 80])
    assert (s.n, s.n_missing) == (4, 0)
    assert (s.n_improved, s.n_unchanged, s.n_declined) == (1, 2, 1)
    assert (s.pct_improved, s.pct_unchanged, s.pct_declined) == (25.0, 50.0, 25.0)
    assert s.baseline_mean == 65.0
    assert s.endline_mean == 65.0
    assert s.mean_change_pp == 0.0
    # sample sd: sqrt((25 + 0 + 25 + 0) / 3)
    assert s.sd_change_pp == pytest.approx(math.sqrt(50 / 3), rel=1e-12)


def test_summary_tolerance_band_is_inclusive() -> None:
    # changes: +0.4 (within 0.5), +1.0, -0.5 (on the boundary), -2.0
    s = summarise_changes([50, 50, 50, 50], [50.4, 51, 49.5, 48], tolerance=0.5)
    assert (s.n_improved, s.n_unchanged, s.n_declined) == (1, 2, 1)


def test_summary_thirds_sum_to_100() -> None:
    s = summarise_changes([10, 10, 10], [11, 10, 9])
    assert s.pct_improved == pytest.approx(100 / 3)
    assert s.pct_improved + s.pct_unchanged + s.pct_declined == pytest.approx(100.0)


def test_summary_excludes_and_counts_missing_pairs() -> None:
    baseline = [10.0, None, 30.0, math.nan, 50.0]
    endline = [20.0, 25.0, math.nan, None, 45.0]
    s = summarise_changes(baseline, endline)
    # Only institutions 0 and 4 have both values: changes +10 and -5.
    assert s.n == 2
    assert s.n_missing == 3
    assert s.n_missing_baseline == 2
    assert s.n_missing_endline == 2
    assert s.baseline_mean == 30.0
    assert s.endline_mean == 32.5
    assert s.mean_change_pp == 2.5
    assert s.sd_change_pp == pytest.approx(np.std([10, -5], ddof=1))
    assert (s.n_improved, s.n_declined) == (1, 1)


def test_summary_accepts_pandas_na_and_arrays() -> None:
    s = summarise_changes(np.array([1.0, np.nan]), [pd.NA, 3.0])
    assert (s.n, s.n_missing) == (0, 2)


def test_summary_of_nothing_is_nan_not_an_error() -> None:
    s = summarise_changes([None, 1.0], [2.0, None])
    assert s.n == 0
    assert s.n_missing == 2
    for value in (s.baseline_mean, s.mean_change_pp, s.sd_change_pp, s.pct_improved):
        assert math.isnan(value)
    assert (s.n_improved, s.n_unchanged, s.n_declined) == (0, 0, 0)


def test_summary_single_pair_has_no_sd() -> None:
    s = summarise_changes([40.0], [47.0])
    assert s.mean_change_pp == 7.0
    assert math.isnan(s.sd_change_pp)
    assert s.pct_improved == 100.0


def test_summary_all_equal_changes_have_exactly_zero_sd() -> None:
    s = summarise_changes([10.0, 20.0, 30.0], [13.0, 23.0, 33.0])
    assert s.sd_change_pp == 0.0
    # In floating point these changes are 0.1, 0.09999999999999998 and 0.10000000000000009;
    # that spread is rounding and must not count as variation.
    s = summarise_changes([0.1, 0.2, 0.7], [0.2, 0.3, 0.8])
    assert s.sd_change_pp == 0.0
    assert (s.n_improved, s.n_unchanged, s.n_declined) == (3, 0, 0)


def test_rounding_noise_does_not_make_a_huge_z() -> None:
    changes = list(np.array([0.2, 0.3, 0.8]) - np.array([0.1, 0.2, 0.7]))
    assert len(set(changes)) == 3
    assert math.isnan(z_test_within(changes).statistic)
    assert math.isnan(z_test_difference(changes, [0.1, 0.1]).statistic)


@pytest.mark.parametrize(
    ("baseline", "endline", "tolerance"),
    [([1.0, 2.0], [1.0], 0.0), ([1.0], [2.0], -0.1), ([1.0], [math.inf], 0.0)],
)
def test_summary_rejects_bad_input(
    baseline: list[float], endline: list[float], tolerance: float
) -> None:
    with pytest.raises(ValueError):
        summarise_changes(baseline, endline, tolerance)


@settings(max_examples=60, deadline=None, database=None)
@given(
    st.lists(
        st.tuples(st.one_of(st.none(), st.floats(0, 100)), st.one_of(st.none(), st.floats(0, 100))),
        max_size=30,
    ),
    st.floats(0, 5),
)
def test_summary_counts_are_consistent(
    pairs: list[tuple[float | None, float | None]], tolerance: float
) -> None:
    s = summarise_changes([p[0] for p in pairs], [p[1] for p in pairs], tolerance)
    assert s.n + s.n_missing == len(pairs)
    assert s.n_improved + s.n_unchanged + s.n_declined == s.n
    if s.n:
        assert s.pct_improved + s.pct_unchanged + s.pct_declined == pytest.approx(100.0)


# ---------------------------------------------------------------------------------------------
# The paper's z-tests


def test_z_difference_by_hand() -> None:
    # focus changes 4, 6, 8: mean 6, s^2 = (4 + 0 + 4) / 2 = 4
    # comparison changes 1, 2, 3: mean 2, s^2 = (1 + 0 + 1) / 2 = 1
    # se = sqrt(4/3 + 1/3) = sqrt(5/3) = 1.2909944
    # z = (6 - 2) / 1.2909944 = 3.0983867
    # p = 1 - Phi(3.0983867) = 0.00097289
    result = z_test_difference([4, 6, 8], [1, 2, 3])
    assert result.method == "z_difference"
    assert result.alternative == "greater"
    assert (result.n_focus, result.n_comparison) == (3, 3)
    assert result.statistic == pytest.approx(4 / math.sqrt(5 / 3), rel=1e-12)
    assert result.statistic == pytest.approx(3.0983867, abs=1e-7)
    assert result.p_value == pytest.approx(normal_sf(4 / math.sqrt(5 / 3)), rel=1e-9)
    assert result.p_value == pytest.approx(0.00097289, abs=1e-8)
    assert result.note == ""


def test_z_difference_matches_formula_on_random_data() -> None:
    rng = np.random.default_rng(1)
    a, b = rng.normal(5, 4, 23), rng.normal(2, 7, 31)
    se = math.sqrt(a.var(ddof=1) / a.size + b.var(ddof=1) / b.size)
    z = (a.mean() - b.mean()) / se
    result = z_test_difference(a, b)
    assert result.statistic == pytest.approx(z, rel=1e-12)
    assert result.p_value == pytest.approx(sps.norm.sf(z), rel=1e-12)


def test_z_difference_is_antisymmetric() -> None:
    a, b = [3.0, 7.0, 1.0, 4.0], [2.0, 2.5, -1.0]
    assert z_test_difference(a, b).statistic == pytest.approx(-z_test_difference(b, a).statistic)


def test_z_within_by_hand() -> None:
    # changes 4, 6, 8: mean 6, s = 2, se = 2 / sqrt(3) = 1.1547005
    # z = 6 / 1.1547005 = 3 * sqrt(3) = 5.1961524, p = 1 - Phi(5.196) = 1.0171e-7
    result = z_test_within([4, 6, 8])
    assert result.method == "z_within"
    assert result.statistic == pytest.approx(3 * math.sqrt(3), rel=1e-12)
    assert result.p_value == pytest.approx(normal_sf(3 * math.sqrt(3)), rel=1e-9)
    assert result.p_value == pytest.approx(1.0171e-7, rel=1e-3)
    assert (result.n_focus, result.n_comparison) == (3, 0)


def test_z_within_negative_mean_gives_large_p() -> None:
    result = z_test_within([-1.0, -2.0, -3.0, 0.5])
    assert result.statistic < 0
    assert result.p_value > 0.5


@pytest.mark.parametrize("test", [z_test_difference, welch_t_test, permutation_test])
def test_two_sample_tests_need_two_per_group(test: object) -> None:
    assert callable(test)
    result = test([5.0], [1.0, 2.0, 3.0])
    assert math.isnan(result.statistic)
    assert math.isnan(result.p_value)
    assert "at least 2" in result.note
    assert (result.n_focus, result.n_comparison) == (1, 3)


def test_z_within_needs_two() -> None:
    result = z_test_within([5.0])
    assert math.isnan(result.statistic)
    assert "at least 2" in result.note


@pytest.mark.parametrize("test", [z_test_difference, welch_t_test])
def test_two_sample_tests_with_zero_variance(test: object) -> None:
    assert callable(test)
    result = test([3.0, 3.0, 3.0], [1.0, 1.0])
    assert math.isnan(result.statistic)
    assert "standard error is 0" in result.note
    # One constant group is fine: only the other group contributes to the standard error.
    result = test([3.0, 3.0, 3.0], [1.0, 2.0, 3.0])
    assert result.statistic == pytest.approx((3 - 2) / math.sqrt(1 / 3), rel=1e-12)


def test_z_within_zero_variance() -> None:
    result = z_test_within([2.0, 2.0, 2.0])
    assert math.isnan(result.p_value)
    assert "all changes are equal" in result.note


def test_tests_exclude_and_report_missing_changes() -> None:
    with_gaps = z_test_difference([4, None, 6, 8, math.nan], [1, 2, 3, None])
    clean = z_test_difference([4, 6, 8], [1, 2, 3])
    assert with_gaps.statistic == clean.statistic
    assert (with_gaps.n_focus, with_gaps.n_comparison) == (3, 3)
    assert "2 missing values excluded from focus group" in with_gaps.note
    assert "1 missing value excluded from comparison group" in with_gaps.note
    assert z_test_within([4, None, 6, 8]).note == "1 missing value excluded"
    assert z_test_within([4, None, 6, 8]).statistic == z_test_within([4, 6, 8]).statistic


# ---------------------------------------------------------------------------------------------
# Welch


def test_welch_by_hand() -> None:
    # Same data as the z-test: t = 3.0983867; Welch-Satterthwaite
    # df = (4/3 + 1/3)^2 / ((4/3)^2 / 2 + (1/3)^2 / 2) = (25/9) / (17/18) = 50/17
    result = welch_t_test([4, 6, 8], [1, 2, 3])
    assert result.statistic == pytest.approx(4 / math.sqrt(5 / 3), rel=1e-12)
    assert result.df == pytest.approx(50 / 17, rel=1e-12)
    assert result.p_value == pytest.approx(sps.t.sf(4 / math.sqrt(5 / 3), 50 / 17), rel=1e-12)


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_welch_equals_scipy(seed: int) -> None:
    rng = np.random.default_rng(seed)
    a = rng.normal(3, rng.uniform(1, 10), rng.integers(2, 40))
    b = rng.normal(1, rng.uniform(1, 10), rng.integers(2, 40))
    expected = sps.ttest_ind(a, b, equal_var=False, alternative="greater")
    result = welch_t_test(a, b)
    assert result.statistic == pytest.approx(expected.statistic, rel=1e-12)
    assert result.p_value == pytest.approx(expected.pvalue, rel=1e-10)
    assert result.df == pytest.approx(expected.df, rel=1e-12)
    assert result.method == "welch_t"


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


# ---------------------------------------------------------------------------------------------
# ANCOVA

BASELINE = [40.0, 55.0, 35.0, 60.0, 70.0, 65.0, 50.0, 80.0, 45.0, 75.0]
ENDLINE = [52.0, 61.0, 50.0, 63.0, 72.0, 70.0, 58.0, 79.0, 57.0, 80.0]
FOCUS = [True, True, True, True, False, False, False, False, True, False]


def test_ancova_matches_normal_equations() -> None:
    x = np.column_stack([np.ones(10), BASELINE, np.array(FOCUS, dtype=float)])
    y = np.array(ENDLINE)
    xtx = x.T @ x
    beta = np.linalg.solve(xtx, x.T @ y)
    residuals = y - x @ beta
    sigma2 = residuals @ residuals / (10 - 3)
    se = math.sqrt(sigma2 * np.linalg.inv(xtx)[2, 2])
    t = beta[2] / se
    half = sps.t.ppf(0.975, 7) * se

    result = ancova_adjusted_difference(BASELINE, ENDLINE, FOCUS)
    assert result.estimate_pp == pytest.approx(beta[2], rel=1e-10)
    assert result.baseline_slope == pytest.approx(beta[1], rel=1e-10)
    assert result.standard_error_pp == pytest.approx(se, rel=1e-10)
    assert result.statistic == pytest.approx(t, rel=1e-10)
    assert result.p_value == pytest.approx(sps.t.sf(t, 7), rel=1e-9)
    assert result.df == 7
    assert result.ci_low_pp == pytest.approx(beta[2] - half, rel=1e-10)
    assert result.ci_high_pp == pytest.approx(beta[2] + half, rel=1e-10)
    assert (result.n, result.n_focus, result.n_comparison, result.n_missing) == (10, 5, 5, 0)
    assert result.alternative == "greater"
    assert result.note == ""


def test_ancova_matches_frisch_waugh_lovell_with_linregress() -> None:
    controls = np.column_stack([np.ones(10), BASELINE])
    y = np.array(ENDLINE)
    focus = np.array(FOCUS, dtype=float)

    def residualise(v: np.ndarray) -> np.ndarray:
        coef, *_ = np.linalg.lstsq(controls, v, rcond=None)
        return v - controls @ coef

    fit = sps.linregress(residualise(focus), residualise(y))
    result = ancova_adjusted_difference(BASELINE, ENDLINE, FOCUS)
    assert result.estimate_pp == pytest.approx(fit.slope, rel=1e-10)
    # linregress divides the residual variance by n - 2, the full model by n - 3.
    assert result.standard_error_pp == pytest.approx(fit.stderr * math.sqrt(8 / 7), rel=1e-10)


def test_ancova_shrinks_a_gain_inflated_by_regression_to_the_mean() -> None:
    rng = np.random.default_rng(20240)
    n = 600
    true_effect = 3.0
    quality = rng.normal(60, 10, n)
    baseline = quality + rng.normal(0, 8, n)
    # Institutions that scored low chose this focus area: selection on the noisy baseline.
    focus = baseline < 55
    endline = quality + true_effect * focus + rng.normal(0, 8, n)
    naive = (endline - baseline)[focus].mean() - (endline - baseline)[~focus].mean()

    result = ancova_adjusted_difference(baseline, endline, focus)
    assert naive > true_effect + 5  # the raw comparison is badly inflated
    assert result.estimate_pp < naive
    assert abs(result.estimate_pp - true_effect) < 3 * result.standard_error_pp
    assert result.ci_low_pp < true_effect < result.ci_high_pp
    # Reliability of the baseline: var(quality) / var(baseline) = 100 / 164.
    assert result.baseline_slope == pytest.approx(100 / 164, abs=0.1)


def test_ancova_excludes_and_counts_missing_rows() -> None:
    baseline = [*BASELINE, None, 50.0]
    endline = [*ENDLINE, 60.0, math.nan]
    result = ancova_adjusted_difference(baseline, endline, [*FOCUS, True, False])
    clean = ancova_adjusted_difference(BASELINE, ENDLINE, FOCUS)
    assert result.n_missing == 2
    assert result.n == 10
    assert result.estimate_pp == pytest.approx(clean.estimate_pp, rel=1e-12)


@pytest.mark.parametrize(
    ("baseline", "endline", "focus", "reason"),
    [
        ([1.0, 2.0, 3.0], [2.0, 3.0, 5.0], [True, False, True], "at least 4"),
        ([1.0, 2.0, 3.0, 4.0], [2.0, 3.0, 5.0, 4.0], [True] * 4, "at least 1"),
        # Focus started at 40 and comparison at 60: baseline and group cannot be told apart.
        ([40.0, 40.0, 60.0, 60.0], [45.0, 47.0, 61.0, 60.0], [True, True, False, False], "col"),
        # Every institution gained exactly 5 points: perfect fit, no residual variance.
        ([40.0, 50.0, 60.0, 70.0], [45.0, 55.0, 65.0, 75.0], [True, False, True, False], "zero"),
    ],
)
def test_ancova_degenerate_inputs_give_nan_with_a_note(
    baseline: list[float], endline: list[float], focus: list[bool], reason: str
) -> None:
    result = ancova_adjusted_difference(baseline, endline, focus)
    assert math.isnan(result.p_value)
    assert math.isnan(result.standard_error_pp)
    assert reason in result.note


def test_ancova_perfect_fit_still_reports_the_estimate() -> None:
    result = ancova_adjusted_difference(
        [40.0, 50.0, 60.0, 70.0], [45.0, 55.0, 65.0, 75.0], [True, False, True, False]
    )
    assert result.estimate_pp == pytest.approx(0.0, abs=1e-9)
    assert result.baseline_slope == pytest.approx(1.0)


def test_ancova_rejects_unassigned_institutions() -> None:
    with pytest.raises(ValueError, match="booleans"):
        ancova_adjusted_difference([1.0, 2.0], [1.0, 2.0], [True, None])  # type: ignore[list-item]
    with pytest.raises(ValueError, match="equal length"):
        ancova_adjusted_difference([1.0, 2.0], [1.0], [True, False])


# ---------------------------------------------------------------------------------------------
# Difference in differences


def make_panel(before: list[float], after: list[float], focus: list[bool]) -> pd.DataFrame:
    rows = []
    for i, (b, a, f) in enumerate(zip(before, after, focus, strict=True)):
        rows.append({"unit_id": f"u{i}", "period": 0, "is_focus": f, "value": b})
        rows.append({"unit_id": f"u{i}", "period": 1, "is_focus": f, "value": a})
    return pd.DataFrame(rows)


def test_did_equals_difference_in_mean_change_and_ols_interaction() -> None:
    panel = make_panel(BASELINE, ENDLINE, FOCUS)
    result = difference_in_differences(panel)

    change = np.array(ENDLINE) - np.array(BASELINE)
    focus = np.array(FOCUS)
    assert result.estimate_pp == pytest.approx(
        change[focus].mean() - change[~focus].mean(), rel=1e-12
    )
    f = panel["is_focus"].to_numpy(dtype=float)
    post = panel["period"].to_numpy(dtype=float)
    design = np.column_stack([np.ones(len(panel)), f, post, f * post])
    coef, *_ = np.linalg.lstsq(design, panel["value"].to_numpy(dtype=float), rcond=None)
    assert result.estimate_pp == pytest.approx(coef[3], rel=1e-10)
    assert (result.n_focus_units, result.n_comparison_units, result.n_units_excluded) == (5, 5, 0)


def test_did_cluster_se_matches_closed_form() -> None:
    # With two periods per unit, the cluster-robust (CR0) variance of the interaction reduces to
    # sum_F (d - mean_F)^2 / n_F^2 + sum_C (d - mean_C)^2 / n_C^2 over unit changes d; CR1
    # multiplies by G/(G-1) * (N-1)/(N-K) with G = 10 units, N = 20 rows, K = 4 coefficients.
    change = np.array(ENDLINE) - np.array(BASELINE)
    focus = np.array(FOCUS)
    d_f, d_c = change[focus], change[~focus]
    cr0 = ((d_f - d_f.mean()) ** 2).sum() / 25 + ((d_c - d_c.mean()) ** 2).sum() / 25
    se = math.sqrt(cr0 * 10 / 9 * 19 / 16)

    result = difference_in_differences(make_panel(BASELINE, ENDLINE, FOCUS))
    assert result.se_type == DID_SE_TYPE
    assert result.standard_error_pp == pytest.approx(se, rel=1e-10)
    assert result.df == 9
    assert result.statistic == pytest.approx(result.estimate_pp / se, rel=1e-10)
    assert result.p_value == pytest.approx(sps.t.sf(result.estimate_pp / se, 9), rel=1e-9)
    half = sps.t.ppf(0.975, 9) * se
    assert result.ci_low_pp == pytest.approx(result.estimate_pp - half, rel=1e-10)


def test_did_excludes_and_counts_incomplete_units() -> None:
    panel = make_panel(BASELINE, ENDLINE, FOCUS)
    extra = pd.DataFrame(
        [
            {"unit_id": "only_before", "period": 0, "is_focus": True, "value": 10.0},
            {"unit_id": "nan_after", "period": 0, "is_focus": False, "value": 10.0},
            {"unit_id": "nan_after", "period": 1, "is_focus": False, "value": math.nan},
        ]
    )
    result = difference_in_differences(pd.concat([panel, extra], ignore_index=True))
    clean = difference_in_differences(panel)
    assert result.n_units_excluded == 2
    assert result.estimate_pp == clean.estimate_pp
    assert result.standard_error_pp == clean.standard_error_pp
    assert "2 units without a value in both periods excluded" in result.note


def test_did_small_and_constant_groups() -> None:
    lone = difference_in_differences(
        make_panel([1.0, 2.0, 3.0], [4.0, 2.0, 5.0], [True, False, False])
    )
    assert lone.estimate_pp == pytest.approx(3.0 - 1.0)
    assert math.isnan(lone.standard_error_pp)
    assert "at least 2 units per group" in lone.note

    flat = difference_in_differences(
        make_panel([1.0, 2.0, 3.0, 4.0], [3.0, 4.0, 4.0, 5.0], [True, True, False, False])
    )
    assert flat.estimate_pp == pytest.approx(1.0)
    assert math.isnan(flat.p_value)
    assert "standard error is 0" in flat.note


@pytest.mark.parametrize(
    ("column", "value", "match"),
    [
        ("period", 2, "period"),
        ("is_focus", None, "booleans"),
    ],
)
def test_did_rejects_malformed_panels(column: str, value: object, match: str) -> None:
    panel = make_panel(BASELINE, ENDLINE, FOCUS).astype({column: object})
    panel.loc[0, column] = value
    with pytest.raises(ValueError, match=match):
        difference_in_differences(panel)


def test_did_rejects_inconsistent_units() -> None:
    panel = make_panel(BASELINE, ENDLINE, FOCUS)
    switched = panel.copy()
    switched.loc[1, "is_focus"] = not switched.loc[1, "is_focus"]
    with pytest.raises(ValueError, match="constant within"):
        difference_in_differences(switched)
    with pytest.raises(ValueError, match="one row per period"):
        difference_in_differences(pd.concat([panel, panel.iloc[:1]], ignore_index=True))
    with pytest.raises(ValueError, match="lacks columns: value"):
        difference_in_differences(panel.drop(columns="value"))
