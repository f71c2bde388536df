"""ANCOVA and difference-in-differences against the normal equations, scipy and closed forms."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps

from tpn_metrics.evaluation.stats.regression import (
    DID_SE_TYPE,
    ancova_adjusted_difference,
    difference_in_differences,
)

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
