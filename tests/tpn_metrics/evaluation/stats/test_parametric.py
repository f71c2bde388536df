"""The paper's z-tests and Welch's t-test against hand-computed values and scipy."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats as sps

from tpn_metrics.evaluation.stats.parametric import welch_t_test, z_test_difference, z_test_within
from tpn_metrics.evaluation.stats.resampling import permutation_test


def normal_sf(z: float) -> float:
    """1 - Phi(z) without scipy, so hand checks do not depend on the code under test's tools."""
    return 0.5 * math.erfc(z / math.sqrt(2))


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
