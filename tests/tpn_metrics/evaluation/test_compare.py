"""Checks of tpn_metrics.evaluation.compare: the focus-versus-comparison table builders."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps

from tpn_metrics.evaluation import compare
from tpn_metrics.evaluation.compare import (
    COMPARISON_ROW_COLUMNS,
    TEST_ROW_COLUMNS,
    Comparison,
    compare_groups,
    comparison_rows,
)
from tpn_metrics.evaluation.stats.descriptive import summarise_changes
from tpn_metrics.evaluation.stats.parametric import z_test_difference
from tpn_metrics.evaluation.stats.regression import ancova_adjusted_difference

LABELS = {
    "topic": "accreditation",
    "metric": "accreditation_score",
    "baseline_label": "2019",
    "endline_label": "2023",
}
METHODS = [
    "z_difference",
    "z_within_focus",
    "z_within_comparison",
    "welch_t",
    "permutation",
    "bootstrap_percentile",
    "ancova",
]


def hospitals() -> pd.DataFrame:
    """Focus hospitals start lower; one lacks an endline, one comparison lacks a baseline."""
    rows = [
        ("F1", True, 40.0, 52.0),  # +12
        ("F2", True, 45.0, 55.0),  # +10
        ("F3", True, 50.0, 58.0),  # +8
        ("F4", True, 35.0, 45.0),  # +10
        ("F5", True, 42.0, math.nan),
        ("F6", True, 55.0, 55.0),  # 0
        ("C1", False, 60.0, 63.0),  # +3
        ("C2", False, 70.0, 72.0),  # +2
        ("C3", False, 65.0, 64.0),  # -1
        ("C4", False, math.nan, 70.0),
        ("C5", False, 75.0, 77.0),  # +2
        ("C6", False, 68.0, 70.0),  # +2
        ("C7", False, 62.0, 66.0),  # +4
    ]
    return pd.DataFrame(rows, columns=["institution_id", "is_focus", "baseline", "endline"])


def run(frame: pd.DataFrame, **options: object) -> Comparison:
    return compare_groups(frame, **LABELS, n_resamples=2_000, **options)  # type: ignore[arg-type]


def test_summaries_and_difference() -> None:
    frame = hospitals()
    c = run(frame)
    focus = frame[frame["is_focus"]]
    assert c.focus == summarise_changes(focus["baseline"].tolist(), focus["endline"].tolist())
    assert (c.focus.n, c.focus.n_missing, c.focus.n_missing_endline) == (5, 1, 1)
    assert (c.comparison.n, c.comparison.n_missing, c.comparison.n_missing_baseline) == (6, 1, 1)
    assert (c.focus.n_improved, c.focus.n_unchanged, c.focus.n_declined) == (4, 1, 0)
    assert c.focus.mean_change_pp == 8.0
    assert c.comparison.mean_change_pp == 2.0
    assert c.difference_pp == 6.0
    assert (c.topic, c.metric, c.baseline_label, c.endline_label) == tuple(LABELS.values())


def test_paper_z_test_by_hand() -> None:
    # focus changes 12, 10, 8, 10, 0: mean 8, s^2 = (16 + 4 + 0 + 4 + 64) / 4 = 22
    # comparison changes 3, 2, -1, 2, 2, 4: mean 2, s^2 = (1 + 0 + 9 + 0 + 0 + 4) / 5 = 2.8
    # se = sqrt(22/5 + 2.8/6) = sqrt(4.866667) = 2.2060523
    # z = (8 - 2) / 2.2060523 = 2.7197905, p = 1 - Phi(2.7197905) = 0.0032662
    c = run(hospitals())
    z = c.tests[0]
    assert z.method == "z_difference"
    assert z.statistic == pytest.approx(6 / math.sqrt(22 / 5 + 2.8 / 6), rel=1e-12)
    assert z.statistic == pytest.approx(2.7197905, abs=1e-7)
    assert z.p_value == pytest.approx(0.0032662, abs=1e-7)
    assert z == z_test_difference([12, 10, 8, 10, 0], [3, 2, -1, 2, 2, 4])


def test_tests_are_in_order_and_labelled_by_group() -> None:
    c = run(hospitals())
    assert [t.method for t in c.tests] == METHODS[:5]
    within_focus, within_comparison = c.tests[1], c.tests[2]
    assert (within_focus.n_focus, within_focus.n_comparison) == (5, 0)
    assert (within_comparison.n_focus, within_comparison.n_comparison) == (0, 6)
    # comparison changes: mean 2, s^2 = 2.8, z = 2 / sqrt(2.8 / 6)
    assert within_comparison.statistic == pytest.approx(2 / math.sqrt(2.8 / 6), rel=1e-12)
    welch = c.tests[3]
    expected = sps.ttest_ind(
        [12, 10, 8, 10, 0], [3, 2, -1, 2, 2, 4], equal_var=False, alternative="greater"
    )
    assert welch.p_value == pytest.approx(expected.pvalue, rel=1e-10)
    # C(11, 5) = 462 splits <= 2000 resamples, so the permutation p-value is exact.
    assert c.tests[4].note.startswith("exact")


def test_bootstrap_and_ancova_are_included() -> None:
    frame = hospitals()
    c = run(frame)
    low, high = c.bootstrap_ci_pp
    assert low < c.difference_pp < high
    assert c.adjusted == ancova_adjusted_difference(
        frame["baseline"].to_numpy(), frame["endline"].to_numpy(), frame["is_focus"].to_numpy()
    )
    assert c.adjusted.n_missing == 2


def test_warnings_for_missing_values_and_baseline_imbalance() -> None:
    c = run(hospitals())
    assert c.warnings[:2] == (
        "1 focus institution lacks an endline value and was excluded",
        "1 comparison institution lacks a baseline value and was excluded",
    )
    # focus baselines (complete pairs) average 45, comparison 66.7
    assert len(c.warnings) == 3
    assert c.warnings[2].startswith("focus group started 21.7 pp lower")
    assert "regression to the mean" in c.warnings[2]


def test_warnings_pluralise_and_flag_small_groups() -> None:
    frame = hospitals()
    # F5 already lacks an endline; now F1 and F2 do too.
    frame.loc[frame["institution_id"].isin(["F1", "F2"]), "endline"] = math.nan
    c = run(frame)
    assert "3 focus institutions lack an endline value and were excluded" in c.warnings
    assert (
        "focus group has only 3 institutions with both values; below 5, results are not "
        "meaningful" in c.warnings
    )


def test_balanced_groups_raise_no_imbalance_warning() -> None:
    rng = np.random.default_rng(0)
    baseline = rng.normal(60, 10, 40)
    frame = pd.DataFrame(
        {
            "institution_id": [f"H{i}" for i in range(40)],
            "is_focus": [i % 2 == 0 for i in range(40)],
            "baseline": baseline,
            "endline": baseline + rng.normal(2, 3, 40),
        }
    )
    frame.loc[frame["is_focus"], "baseline"] = frame.loc[~frame["is_focus"], "baseline"].values
    assert run(frame).warnings == ()


def test_group_of_one_gives_nan_with_notes_not_an_exception() -> None:
    frame = hospitals()
    frame = frame[~frame["institution_id"].isin(["F1", "F2", "F3", "F4"])]
    c = run(frame)
    assert c.focus.n == 1
    for test in c.tests:
        if test.method == "z_within_comparison":
            assert not math.isnan(test.p_value)
        else:
            assert math.isnan(test.p_value)
            assert "at least 2" in test.note
    assert all(math.isnan(v) for v in c.bootstrap_ci_pp)
    assert not math.isnan(c.adjusted.estimate_pp)  # ANCOVA still estimable from 7 rows
    assert any("focus group has only 1 institution with" in w for w in c.warnings)


def test_all_equal_changes() -> None:
    frame = pd.DataFrame(
        {
            "institution_id": ["a", "b", "c", "d", "e", "f"],
            "is_focus": [True, True, True, False, False, False],
            "baseline": [40.0, 50.0, 60.0, 45.0, 55.0, 65.0],
            "endline": [45.0, 55.0, 65.0, 47.0, 57.0, 67.0],
        }
    )
    c = run(frame, min_group_size=3)
    assert c.difference_pp == 3.0
    assert c.focus.sd_change_pp == 0.0
    assert math.isnan(c.tests[0].p_value)
    assert "standard error is 0" in c.tests[0].note
    assert c.bootstrap_ci_pp == (3.0, 3.0)
    # Every change is explained exactly, so ANCOVA has an estimate but no standard error.
    assert c.adjusted.estimate_pp == pytest.approx(3.0)
    assert "perfect fit" in c.adjusted.note


def test_comparison_rows_are_long_and_stable() -> None:
    c = run(hospitals())
    rows = comparison_rows(c)
    assert [row["group"] for row in rows] == ["focus", "comparison"]
    for row in rows:
        assert tuple(row) == COMPARISON_ROW_COLUMNS
        assert row["topic"] == "accreditation"
    assert rows[0]["mean_change_pp"] == 8.0
    assert rows[1]["n_missing_baseline"] == 1
    assert list(pd.DataFrame(rows).columns) == list(COMPARISON_ROW_COLUMNS)


def test_test_rows_are_long_and_stable() -> None:
    c = run(hospitals())
    rows = compare.test_rows(c)
    assert [row["method"] for row in rows] == METHODS
    for row in rows:
        assert tuple(row) == TEST_ROW_COLUMNS
        assert row["endline_label"] == "2023"
    by_method = {row["method"]: row for row in rows}
    assert by_method["z_difference"]["estimate_pp"] == 6.0
    assert by_method["z_within_focus"]["estimate_pp"] == 8.0
    assert by_method["z_within_comparison"]["estimate_pp"] == 2.0
    assert by_method["welch_t"]["df"] == c.tests[3].df
    assert math.isnan(by_method["z_difference"]["ci_low_pp"])  # type: ignore[arg-type]
    boot = by_method["bootstrap_percentile"]
    assert (boot["ci_low_pp"], boot["ci_high_pp"]) == c.bootstrap_ci_pp
    assert boot["alternative"] == "two-sided"
    assert boot["note"] == "2000 resamples per group, seed 20240"
    ancova = by_method["ancova"]
    assert ancova["estimate_pp"] == c.adjusted.estimate_pp
    assert ancova["p_value"] == c.adjusted.p_value
    assert ancova["ci_low_pp"] == c.adjusted.ci_low_pp
    assert ancova["n_focus"] == 5
    assert ancova["n_comparison"] == 6


def test_seeded_results_are_reproducible() -> None:
    frame = hospitals()
    first = compare.test_rows(compare_groups(frame, **LABELS, n_resamples=300, seed=5))
    again = compare.test_rows(compare_groups(frame, **LABELS, n_resamples=300, seed=5))
    # NaN != NaN, so compare the rendered tables rather than the dataclasses.
    assert pd.DataFrame(first).equals(pd.DataFrame(again))


def test_nullable_pandas_columns_are_accepted() -> None:
    frame = hospitals().astype({"baseline": "Float64", "endline": "Float64", "is_focus": "boolean"})
    c = run(frame)
    assert c.difference_pp == 6.0
    assert c.focus.n_missing == 1


@pytest.mark.parametrize(
    ("change", "match"),
    [
        (lambda f: f.drop(columns="endline"), "lacks columns: endline"),
        (lambda f: pd.concat([f, f.iloc[:1]], ignore_index=True), "unique"),
        (lambda f: f.astype({"is_focus": object}).assign(is_focus=None), "booleans"),
    ],
)
def test_malformed_frames_are_rejected(change: object, match: str) -> None:
    assert callable(change)
    with pytest.raises(ValueError, match=match):
        run(change(hospitals()))
