"""Comparisons where lower is better: the same test as on negated values, told in the
metric's own sign (estimates and intervals negated, alternative "less")."""

from __future__ import annotations

import pandas as pd
import pytest
from scipy import stats

from tpn_metrics.evaluation.compare import compare_groups
from tpn_metrics.evaluation.direction import compare_oriented, did_oriented

# Stock-outs (% of tracer medicines): focus 30, 40, 35 → 20, 25, 30 (−10, −15, −5: mean −10);
# comparison 25, 30, 20 → 24, 31, 18 (−1, +1, −2: mean −2/3). Difference −9.33 pp.
FRAME = pd.DataFrame(
    {
        "institution_id": ["a", "b", "c", "d", "e", "f"],
        "is_focus": [True, True, True, False, False, False],
        "baseline": [30.0, 40.0, 35.0, 25.0, 30.0, 20.0],
        "endline": [20.0, 25.0, 30.0, 24.0, 31.0, 18.0],
    }
)
LABELS = {"topic": "stock_outs", "metric": "m", "baseline_label": "0", "endline_label": "1"}


def test_lower_is_better_tests_whether_the_focus_value_fell_more():
    c = compare_oriented(FRAME, higher_is_better=False, n_resamples=500, **LABELS)
    assert c.difference_pp == pytest.approx(-10.0 - (-2 / 3))
    assert c.focus.baseline_mean == pytest.approx(35.0)
    assert c.focus.n_improved == 3 and c.comparison.n_improved == 2  # fell = improved
    welch = next(t for t in c.tests if t.method == "welch_t")
    expected = stats.ttest_ind([-10, -15, -5], [-1, 1, -2], equal_var=False, alternative="less")
    assert welch.p_value == pytest.approx(expected.pvalue)
    assert welch.statistic == pytest.approx(expected.statistic)
    assert {t.alternative for t in c.tests} == {"less"}
    low, high = c.bootstrap_ci_pp
    assert low < c.difference_pp < high
    # The same numbers as the "greater" comparison of the negated values, mirrored.
    flipped = compare_groups(
        FRAME.assign(baseline=-FRAME["baseline"], endline=-FRAME["endline"]),
        n_resamples=500,
        **LABELS,
    )
    assert c.adjusted.estimate_pp == pytest.approx(-flipped.adjusted.estimate_pp)
    assert (low, high) == pytest.approx((-flipped.bootstrap_ci_pp[1], -flipped.bootstrap_ci_pp[0]))
    assert c.adjusted.alternative == "less"
    # Warnings speak of the real values: the focus group started 10 pp higher.
    assert any("started 10.0 pp higher" in w for w in c.warnings)


def test_the_baseline_warning_speaks_in_the_metrics_difference_unit():
    # Birth asphyxia per 1,000 live births, the same numbers: baselines 35 against 25.
    c = compare_oriented(
        FRAME, higher_is_better=False, n_resamples=200, unit="per 1,000 live births", **LABELS
    )
    (imbalance,) = [w for w in c.warnings if "started" in w]
    # Pooled SD √((25 + 25) / 2) = 5 (both groups' sample variance is 25): 10 / 5 = 2.00.
    assert imbalance.startswith(
        "focus group started 10.0 per 1,000 live births higher than the comparison group "
        "(standardised difference 2.00)"
    )
    assert "points" not in imbalance


def test_higher_is_better_is_the_plain_comparison():
    plain = compare_groups(FRAME, n_resamples=200, **LABELS)
    assert compare_oriented(FRAME, higher_is_better=True, n_resamples=200, **LABELS) == plain


def test_did_oriented_mirrors_the_estimate_and_keeps_the_p_value():
    panel = pd.DataFrame(
        {
            "unit_id": ["a", "a", "b", "b", "c", "c", "d", "d"],
            "period": [0, 1] * 4,
            "is_focus": [True, True, True, True, False, False, False, False],
            "value": [30.0, 20.0, 40.0, 26.0, 25.0, 24.0, 30.0, 31.0],
        }
    )
    down = did_oriented(panel, higher_is_better=False)
    # Focus −10, −14 (mean −12); comparison −1, +1 (mean 0).
    assert down.estimate_pp == pytest.approx(-12.0)
    assert down.alternative == "less"
    assert down.ci_low_pp < -12.0 < down.ci_high_pp
    up = did_oriented(panel.assign(value=-panel["value"]), higher_is_better=True)
    assert down.p_value == pytest.approx(up.p_value)
