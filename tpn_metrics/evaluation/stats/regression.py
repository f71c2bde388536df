"""Regression estimators of the focus effect (pp): baseline-adjusted ANCOVA and a 2x2
difference-in-differences with a cluster-robust standard error.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats as sps

from tpn_metrics.evaluation.stats.inputs import (
    ALTERNATIVE,
    NAN,
    BoolArray,
    Flags,
    FloatArray,
    Values,
    as_bool_array,
    as_float_array,
    check_confidence,
    counted,
    is_constant,
    join_notes,
)


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
    check_confidence(confidence)
    x = as_float_array(baseline, "baseline")
    y = as_float_array(endline, "endline")
    group = as_bool_array(is_focus, "is_focus")
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
    check_confidence(confidence)
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
        f"{counted(n_excluded, 'unit', 'units')} without a value in both periods excluded"
        if n_excluded
        else ""
    )
    if n_focus < 1 or n_comparison < 1:
        return result(NAN, NAN, NAN, join_notes("needs at least 1 unit per group", excluded_note))

    estimate = float(change[focus_flag].mean() - change[~focus_flag].mean())
    if n_focus < 2 or n_comparison < 2:
        # A lone unit has zero residual, so the clustered variance would ignore its noise.
        return result(
            estimate,
            NAN,
            NAN,
            join_notes("standard error needs at least 2 units per group", excluded_note),
        )
    if is_constant(change[focus_flag]) and is_constant(change[~focus_flag]):
        return result(
            estimate,
            NAN,
            NAN,
            join_notes(
                "all changes are equal within each group; standard error is 0", excluded_note
            ),
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
