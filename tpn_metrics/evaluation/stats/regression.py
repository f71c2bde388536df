"""Pure statistics for the focus-area evaluation.

The programme question is one-sided: did institutions that chose a focus area improve *more* on
it than those that did not? Every test here therefore uses the alternative "greater" (focus
minus comparison, or change above zero), as in the 2024 paper we reproduce.

A "change" is endline minus baseline for one institution, in percentage points (pp). Inputs are
per-institution sequences in which ``None`` or NaN mean "not measured". Missing values are never
dropped silently: they are counted in the result (``n_missing`` fields or the ``note``).

Nothing here reads files, prints or depends on Prefect, so results can be recomputed anywhere
and written to the warehouse as they are.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy import stats as sps

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
Values = Sequence[float | None] | npt.NDArray[Any]
Flags = Sequence[bool] | npt.NDArray[Any]

ALTERNATIVE = "greater"
NAN = math.nan

# Simulation methods work in batches so memory stays bounded (about 8 MB of floats per batch)
# whatever the group sizes; the batch size depends only on the data size, so results stay
# reproducible for a given seed.
_BATCH_ELEMENTS = 1_000_000


@dataclass(frozen=True)
class TestResult:
    """One hypothesis test. ``statistic`` and ``p_value`` are NaN when it cannot be computed,
    and ``note`` then says why. ``df`` is the degrees of freedom for t-based tests, else NaN.
    """

    __test__ = False  # keeps pytest from collecting this class because of its name

    method: str
    statistic: float
    p_value: float
    alternative: str
    n_focus: int
    n_comparison: int
    note: str = ""
    df: float = NAN


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


@dataclass(frozen=True)
class AdjustedEstimate:
    """Focus effect adjusted for baseline (ANCOVA): the ``is_focus`` coefficient of the OLS fit
    endline ~ 1 + baseline + is_focus. ``p_value`` is one-sided ("greater") from a t distribution
    with ``df`` = n - 3; the confidence interval is two-sided at ``confidence``.
    """

    method: str
    estimate_pp: float
    standard_error_pp: float
    statistic: float
    p_value: float
    df: float
    ci_low_pp: float
    ci_high_pp: float
    confidence: float
    baseline_slope: float
    n: int
    n_focus: int
    n_comparison: int
    n_missing: int
    alternative: str = ALTERNATIVE
    note: str = ""


@dataclass(frozen=True)
class DidEstimate:
    """2x2 difference-in-differences: mean change in the focus group minus mean change in the
    comparison group, over units observed in both periods.

    ``standard_error_pp`` is cluster-robust by unit with the CR1 small-sample factor
    G/(G-1)*(N-1)/(N-K) (as Stata's ``vce(cluster)``); ``se_type`` says so. Inference uses a t
    distribution with G - 1 degrees of freedom (G = number of units).
    """

    method: str
    estimate_pp: float
    standard_error_pp: float
    se_type: str
    statistic: float
    p_value: float
    df: float
    ci_low_pp: float
    ci_high_pp: float
    confidence: float
    n_focus_units: int
    n_comparison_units: int
    n_units_excluded: int
    alternative: str = ALTERNATIVE
    note: str = ""


# --------------------------------------------------------------------------------------------
# Input handling


def _as_float_array(values: Values, name: str) -> FloatArray:
    if isinstance(values, np.ndarray):
        array = values.astype(np.float64)
    else:
        # pd.NA cannot be cast by numpy, and frames handed over from pandas may contain it.
        array = np.array(
            [NAN if value is None or value is pd.NA else value for value in values],
            dtype=np.float64,
        )
    if array.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {array.shape}")
    if np.isinf(array).any():
        # An infinite percentage is a data error upstream, not a missing value.
        raise ValueError(f"{name} contains infinite values")
    return array


def _as_bool_array(values: Flags, name: str) -> BoolArray:
    items = list(values.tolist() if isinstance(values, np.ndarray) else values)
    for item in items:
        # Casting would turn None/NaN into False and hide an unassigned institution.
        if item not in (True, False):
            raise ValueError(f"{name} must contain only booleans, got {item!r}")
    return np.array([bool(item) for item in items], dtype=np.bool_)


def _drop_missing(values: Values, name: str) -> tuple[FloatArray, int]:
    array = _as_float_array(values, name)
    missing = np.isnan(array)
    return array[~missing], int(missing.sum())


def _is_constant(x: FloatArray) -> bool:
    # Changes are differences of percentages, so "all +5 pp" can arrive as 5.0 and
    # 4.999999999999998. A spread below 1e-9 of the values' size is rounding, not variation.
    if x.size == 0:
        return False
    return float(np.ptp(x)) <= 1e-9 * max(1.0, float(np.max(np.abs(x))))


def _sample_var(x: FloatArray) -> float:
    # No variation must give exactly zero: otherwise rounding noise (~1e-30) becomes the
    # denominator of a test statistic and reports an absurdly large z or t.
    if _is_constant(x):
        return 0.0
    return float(np.var(x, ddof=1))


def _plural(n: int, singular: str, plural: str) -> str:
    return f"{n} {singular if n == 1 else plural}"


def _missing_note(n_missing_focus: int, n_missing_comparison: int) -> str:
    parts = []
    if n_missing_focus:
        parts.append(
            f"{_plural(n_missing_focus, 'missing value', 'missing values')} excluded"
            " from focus group"
        )
    if n_missing_comparison:
        parts.append(
            f"{_plural(n_missing_comparison, 'missing value', 'missing values')} excluded"
            " from comparison group"
        )
    return "; ".join(parts)


def _join(*notes: str) -> str:
    return "; ".join(note for note in notes if note)


def _not_computable(
    method: str, n_focus: int, n_comparison: int, reason: str, extra: str = ""
) -> TestResult:
    return TestResult(
        method=method,
        statistic=NAN,
        p_value=NAN,
        alternative=ALTERNATIVE,
        n_focus=n_focus,
        n_comparison=n_comparison,
        note=_join(reason, extra),
    )


def _two_groups(
    changes_focus: Values, changes_comparison: Values
) -> tuple[FloatArray, FloatArray, str]:
    """Both groups without their missing values, and a note of how many were left out."""
    a, missing_a = _drop_missing(changes_focus, "changes_focus")
    b, missing_b = _drop_missing(changes_comparison, "changes_comparison")
    return a, b, _missing_note(missing_a, missing_b)


def _too_small(method: str, a: FloatArray, b: FloatArray, extra: str) -> TestResult | None:
    if a.size < 2 or b.size < 2:
        return _not_computable(
            method, int(a.size), int(b.size), "needs at least 2 institutions per group", extra
        )
    return None


def _check_resamples(n_resamples: int) -> None:
    if n_resamples < 1:
        raise ValueError(f"n_resamples must be at least 1, got {n_resamples}")


def _check_confidence(confidence: float) -> None:
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be strictly between 0 and 1, got {confidence}")


# --------------------------------------------------------------------------------------------
# Descriptive summary


def summarise_changes(baseline: Values, endline: Values, tolerance: float = 0.0) -> GroupSummary:
    """Summarise the change from ``baseline`` to ``endline`` (one pair per institution).

    Pairs with either value missing are excluded from every statistic and counted in
    ``n_missing``. A change with ``|change| <= tolerance`` counts as unchanged, so measurement
    noise below the tolerance is not reported as improvement or decline.
    """
    if tolerance < 0 or math.isnan(tolerance):
        raise ValueError(f"tolerance must be a non-negative number, got {tolerance}")
    before = _as_float_array(baseline, "baseline")
    after = _as_float_array(endline, "endline")
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
        sd_change_pp=math.sqrt(_sample_var(change)) if n >= 2 else NAN,
        n_improved=n_improved,
        n_unchanged=n_unchanged,
        n_declined=n_declined,
        pct_improved=pct(n_improved),
        pct_unchanged=pct(n_unchanged),
        pct_declined=pct(n_declined),
    )


# --------------------------------------------------------------------------------------------
# The paper's z-tests


def z_test_difference(changes_focus: Values, changes_comparison: Values) -> TestResult:
    """Right-tailed two-sample z-test on mean change, as in the 2024 paper.

    z = (m1 - m2) / sqrt(s1²/n1 + s2²/n2) with sample variances (ddof=1), p = 1 - Φ(z).
    The normal reference is only an approximation for small groups; the Welch and permutation
    tests are the small-sample counterparts.
    """
    method = "z_difference"
    a, b, extra = _two_groups(changes_focus, changes_comparison)
    if (too_small := _too_small(method, a, b, extra)) is not None:
        return too_small
    var_a, var_b = _sample_var(a), _sample_var(b)
    if var_a == 0.0 and var_b == 0.0:
        return _not_computable(
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
    x, missing = _drop_missing(changes, "changes")
    extra = f"{_plural(missing, 'missing value', 'missing values')} excluded" if missing else ""
    if x.size < 2:
        return _not_computable(method, x.size, 0, "needs at least 2 institutions", extra)
    var = _sample_var(x)
    if var == 0.0:
        return _not_computable(
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


# --------------------------------------------------------------------------------------------
# Small-sample alternatives


def welch_t_test(changes_focus: Values, changes_comparison: Values) -> TestResult:
    """Welch's unequal-variance t-test of mean change, alternative "greater".

    Same statistic as the z-test, but referred to a t distribution with Welch-Satterthwaite
    degrees of freedom (reported in ``df``), which matters for groups of a few institutions.
    Equals ``scipy.stats.ttest_ind(a, b, equal_var=False, alternative="greater")``.
    """
    method = "welch_t"
    a, b, extra = _two_groups(changes_focus, changes_comparison)
    if (too_small := _too_small(method, a, b, extra)) is not None:
        return too_small
    v_a = _sample_var(a) / a.size
    v_b = _sample_var(b) / b.size
    if v_a == 0.0 and v_b == 0.0:
        return _not_computable(
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
    _check_resamples(n_resamples)
    method = "permutation"
    a, b, extra = _two_groups(changes_focus, changes_comparison)
    if (too_small := _too_small(method, a, b, extra)) is not None:
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
        batch = max(1, _BATCH_ELEMENTS // size)
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
        note=_join(how, extra),
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
    _check_resamples(n_resamples)
    _check_confidence(confidence)
    a, b, _ = _two_groups(changes_focus, changes_comparison)
    if a.size < 2 or b.size < 2:
        return (NAN, NAN)
    rng = np.random.default_rng(seed)
    batch = max(1, _BATCH_ELEMENTS // max(a.size, b.size))
    estimates = np.empty(n_resamples, dtype=np.float64)
    for start in range(0, n_resamples, batch):
        rows = min(batch, n_resamples - start)
        pick_a = rng.integers(0, a.size, size=(rows, a.size))
        pick_b = rng.integers(0, b.size, size=(rows, b.size))
        estimates[start : start + rows] = a[pick_a].mean(axis=1) - b[pick_b].mean(axis=1)
    alpha = 1.0 - confidence
    low, high = np.quantile(estimates, [alpha / 2, 1 - alpha / 2])
    return (float(low), float(high))


# --------------------------------------------------------------------------------------------
# Regression estimators


def ancova_adjusted_difference(
    baseline: Values,
    endline: Values,
    is_focus: Flags,
    confidence: float = 0.95,
) -> AdjustedEstimate:
    """Baseline-adjusted focus effect: OLS of endline on [1, baseline, is_focus].

    When focus institutions started lower, part of their larger raw gain is regression to the
    mean; conditioning on baseline removes it if selection into the focus group depended on the
    baseline value. The coefficient is in pp (same units as the change). Rows with a missing
    baseline or endline are excluded and counted in ``n_missing``.
    """
    _check_confidence(confidence)
    x = _as_float_array(baseline, "baseline")
    y = _as_float_array(endline, "endline")
    group = _as_bool_array(is_focus, "is_focus")
    if not (x.size == y.size == group.size):
        raise ValueError(
            "baseline, endline and is_focus must have equal length, got "
            f"{x.size}, {y.size} and {group.size}"
        )
    complete = ~(np.isnan(x) | np.isnan(y))
    n_missing = int((~complete).sum())
    x, y, group = x[complete], y[complete], group[complete]
    n = int(y.size)
    n_focus = int(group.sum())

    def not_computable(reason: str, estimate: float = NAN, slope: float = NAN) -> AdjustedEstimate:
        return AdjustedEstimate(
            method="ancova",
            estimate_pp=estimate,
            standard_error_pp=NAN,
            statistic=NAN,
            p_value=NAN,
            df=NAN,
            ci_low_pp=NAN,
            ci_high_pp=NAN,
            confidence=confidence,
            baseline_slope=slope,
            n=n,
            n_focus=n_focus,
            n_comparison=n - n_focus,
            n_missing=n_missing,
            note=reason,
        )

    if n_focus < 1 or n - n_focus < 1:
        return not_computable("needs at least 1 institution per group")
    if n < 4:
        return not_computable(
            "needs at least 4 institutions with both values (3 coefficients + 1 residual df)"
        )
    design = np.column_stack([np.ones(n), x, group.astype(np.float64)])
    coef, _, rank, _ = np.linalg.lstsq(design, y, rcond=None)
    if rank < design.shape[1]:
        return not_computable(
            "baseline is constant or collinear with group membership; effect not identifiable"
        )
    estimate, slope = float(coef[2]), float(coef[1])
    residuals = y - design @ coef
    df = n - design.shape[1]
    rss = float(residuals @ residuals)
    # A perfect fit leaves only rounding noise in the residuals, and dividing by that noise
    # would report a meaningless, enormous t statistic.
    if rss <= 1e-20 * float(y @ y):
        return not_computable(
            "residuals are all zero (perfect fit); standard error undefined", estimate, slope
        )
    sigma2 = rss / df
    se = math.sqrt(sigma2 * float(np.linalg.inv(design.T @ design)[2, 2]))
    t = estimate / se
    half_width = float(sps.t.ppf(1 - (1 - confidence) / 2, df)) * se
    return AdjustedEstimate(
        method="ancova",
        estimate_pp=estimate,
        standard_error_pp=se,
        statistic=t,
        p_value=float(sps.t.sf(t, df)),
        df=float(df),
        ci_low_pp=estimate - half_width,
        ci_high_pp=estimate + half_width,
        confidence=confidence,
        baseline_slope=slope,
        n=n,
        n_focus=n_focus,
        n_comparison=n - n_focus,
        n_missing=n_missing,
    )


DID_COLUMNS = ("unit_id", "period", "is_focus", "value")
DID_SE_TYPE = "cluster-robust by unit (CR1)"


def difference_in_differences(panel: pd.DataFrame, confidence: float = 0.95) -> DidEstimate:
    """2x2 difference-in-differences from a long panel.

    ``panel`` has one row per unit and period with columns ``unit_id``, ``period`` (0 = before,
    1 = after), ``is_focus`` (bool, constant within a unit) and ``value``. Only units with a
    value in both periods are used (the rest are counted in ``n_units_excluded``): on that
    balanced panel the estimate is exactly both the mean change of focus units minus that of
    comparison units and the interaction coefficient of OLS value ~ 1 + is_focus + post +
    is_focus:post. With unbalanced cells the two would differ, and the change-based reading is
    the one the programme reports.

    The standard error is clustered by unit because the two observations of a unit are not
    independent.
    """
    _check_confidence(confidence)
    missing_columns = [column for column in DID_COLUMNS if column not in panel.columns]
    if missing_columns:
        raise ValueError(f"panel lacks columns: {', '.join(missing_columns)}")
    frame = panel.loc[:, list(DID_COLUMNS)]
    if frame["unit_id"].isna().any():
        raise ValueError("unit_id must not be missing")
    if frame["period"].isna().any() or not frame["period"].isin([0, 1]).all():
        raise ValueError("period must be 0 (before) or 1 (after)")
    if frame["is_focus"].isna().any() or not frame["is_focus"].isin([True, False]).all():
        raise ValueError("is_focus must contain only booleans")
    if frame.duplicated(["unit_id", "period"]).any():
        raise ValueError("each unit must have at most one row per period")
    flags = frame.groupby("unit_id", sort=True)["is_focus"].agg(["min", "max"])
    if (flags["min"] != flags["max"]).any():
        raise ValueError("is_focus must be constant within each unit")

    values = pd.to_numeric(frame["value"]).to_numpy(dtype=np.float64, na_value=np.nan)
    if np.isinf(values).any():
        raise ValueError("value contains infinite values")
    frame = frame.assign(value=values).dropna(subset=["value"])
    wide = frame.pivot(index="unit_id", columns="period", values="value").reindex(
        index=flags.index, columns=[0, 1]
    )
    complete = wide.notna().all(axis=1)
    n_excluded = int((~complete).sum())
    wide = wide.loc[complete]
    focus_flag = flags.loc[complete, "max"].astype(bool).to_numpy()
    before = wide[0].to_numpy(dtype=np.float64)
    after = wide[1].to_numpy(dtype=np.float64)
    change = after - before
    n_focus = int(focus_flag.sum())
    n_comparison = int(focus_flag.size - n_focus)

    def result(estimate: float, se: float, df: float, note: str = "") -> DidEstimate:
        if math.isnan(se):
            t = p = low = high = NAN
        else:
            t = estimate / se
            p = float(sps.t.sf(t, df))
            half_width = float(sps.t.ppf(1 - (1 - confidence) / 2, df)) * se
            low, high = estimate - half_width, estimate + half_width
        return DidEstimate(
            method="difference_in_differences",
            estimate_pp=estimate,
            standard_error_pp=se,
            se_type=DID_SE_TYPE,
            statistic=t,
            p_value=p,
            df=df,
            ci_low_pp=low,
            ci_high_pp=high,
            confidence=confidence,
            n_focus_units=n_focus,
            n_comparison_units=n_comparison,
            n_units_excluded=n_excluded,
            note=note,
        )

    excluded_note = (
        f"{_plural(n_excluded, 'unit', 'units')} without a value in both periods excluded"
        if n_excluded
        else ""
    )
    if n_focus < 1 or n_comparison < 1:
        return result(NAN, NAN, NAN, _join("needs at least 1 unit per group", excluded_note))

    estimate = float(change[focus_flag].mean() - change[~focus_flag].mean())
    if n_focus < 2 or n_comparison < 2:
        # A lone unit has zero residual, so the clustered variance would ignore its noise.
        return result(
            estimate,
            NAN,
            NAN,
            _join("standard error needs at least 2 units per group", excluded_note),
        )
    if _is_constant(change[focus_flag]) and _is_constant(change[~focus_flag]):
        return result(
            estimate,
            NAN,
            NAN,
            _join("all changes are equal within each group; standard error is 0", excluded_note),
        )

    se = _did_cluster_se(before, after, focus_flag)
    return result(estimate, se, float(focus_flag.size - 1), excluded_note)


def _did_cluster_se(before: FloatArray, after: FloatArray, focus: BoolArray) -> float:
    """CR1 cluster-robust standard error of the interaction in value ~ 1 + F + post + F:post."""
    n_units = focus.size
    f = focus.astype(np.float64)
    # Stack as [all periods 0, all periods 1]; row i and row i + n_units are the same unit.
    y = np.concatenate([before, after])
    post = np.repeat([0.0, 1.0], n_units)
    group = np.concatenate([f, f])
    design = np.column_stack([np.ones(2 * n_units), group, post, group * post])
    coef, *_ = np.linalg.lstsq(design, y, rcond=None)
    residuals = y - design @ coef
    scores = design * residuals[:, None]
    per_unit = scores[:n_units] + scores[n_units:]
    meat = per_unit.T @ per_unit
    bread = np.linalg.inv(design.T @ design)
    n_obs, n_coef = design.shape
    factor = n_units / (n_units - 1) * (n_obs - 1) / (n_obs - n_coef)
    covariance = factor * bread @ meat @ bread
    return math.sqrt(float(covariance[3, 3]))
