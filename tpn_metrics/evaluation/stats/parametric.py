"""Parametric tests of mean change: the 2024 paper's z-tests and Welch's t-test.

Changes are endline minus baseline in percentage points (pp); every test is one-sided
(alternative "greater": focus minus comparison, or change, above zero).
"""

from __future__ import annotations

import math

from scipy import stats as sps

from tpn_metrics.evaluation.stats.inputs import (
    ALTERNATIVE,
    Values,
    counted,
    drop_missing,
    sample_var,
    two_groups,
)
from tpn_metrics.evaluation.stats.results import TestResult, not_computable, too_few_to_test


def z_test_difference(changes_focus: Values, changes_comparison: Values) -> TestResult:
    """Right-tailed two-sample z-test on mean change, as in the 2024 paper.

    z = (m1 - m2) / sqrt(s1²/n1 + s2²/n2) with sample variances (ddof=1), p = 1 - Φ(z).
    The normal reference is only an approximation for small groups; the Welch and permutation
    tests are the small-sample counterparts.
    """
    method = "z_difference"
    a, b, extra = two_groups(changes_focus, changes_comparison)
    if (too_small := too_few_to_test(method, a, b, extra)) is not None:
        return too_small
    var_a, var_b = sample_var(a), sample_var(b)
    if var_a == 0.0 and var_b == 0.0:
        return not_computable(
            method,
            a.size,
            b.size,
            "all changes are equal within each group; standard error is 0",
            extra,
        )
    se = math.sqrt(var_a / a.size + var_b / b.size)
    z = (float(a.mean()) - float(b.mean())) / se
    return TestResult(
        method=method,
        statistic=z,
        p_value=float(sps.norm.sf(z)),
        alternative=ALTERNATIVE,
        n_focus=int(a.size),
        n_comparison=int(b.size),
        note=extra,
    )


def z_test_within(changes: Values) -> TestResult:
    """Right-tailed one-sample z-test that the mean change is above zero: z = m / (s/√n).

    The group tested is reported in ``n_focus``; ``n_comparison`` is 0.
    """
    method = "z_within"
    x, missing = drop_missing(changes, "changes")
    extra = f"{counted(missing, 'missing value', 'missing values')} excluded" if missing else ""
    if x.size < 2:
        return not_computable(method, x.size, 0, "needs at least 2 institutions", extra)
    var = sample_var(x)
    if var == 0.0:
        return not_computable(
            method, x.size, 0, "all changes are equal; standard error is 0", extra
        )
    z = float(x.mean()) / math.sqrt(var / x.size)
    return TestResult(
        method=method,
        statistic=z,
        p_value=float(sps.norm.sf(z)),
        alternative=ALTERNATIVE,
        n_focus=int(x.size),
        n_comparison=0,
        note=extra,
    )


def welch_t_test(changes_focus: Values, changes_comparison: Values) -> TestResult:
    """Welch's unequal-variance t-test of mean change, alternative "greater".

    Same statistic as the z-test, but referred to a t distribution with Welch-Satterthwaite
    degrees of freedom (reported in ``df``), which matters for groups of a few institutions.
    Equals ``scipy.stats.ttest_ind(a, b, equal_var=False, alternative="greater")``.
    """
    method = "welch_t"
    a, b, extra = two_groups(changes_focus, changes_comparison)
    if (too_small := too_few_to_test(method, a, b, extra)) is not None:
        return too_small
    v_a = sample_var(a) / a.size
    v_b = sample_var(b) / b.size
    if v_a == 0.0 and v_b == 0.0:
        return not_computable(
            method,
            a.size,
            b.size,
            "all changes are equal within each group; standard error is 0",
            extra,
        )
    t = (float(a.mean()) - float(b.mean())) / math.sqrt(v_a + v_b)
    df = (v_a + v_b) ** 2 / (v_a**2 / (a.size - 1) + v_b**2 / (b.size - 1))
    return TestResult(
        method=method,
        statistic=t,
        p_value=float(sps.t.sf(t, df)),
        alternative=ALTERNATIVE,
        n_focus=int(a.size),
        n_comparison=int(b.size),
        note=extra,
        df=float(df),
    )
