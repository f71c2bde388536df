"""Focus-versus-comparison evaluation of one metric, ready for the warehouse.

``compare_groups`` runs the 2024 paper's z-tests next to the small-sample and
regression-to-the-mean-aware alternatives from :mod:`tpn_metrics.evaluation.stats`, and collects
plain-language warnings so a report never shows a p-value without its caveats.
``comparison_rows`` and ``test_rows`` flatten the result into long tables whose column names are
warehouse columns: change them only with a migration.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields, replace

import numpy as np
import pandas as pd

from tpn_metrics.evaluation.stats.descriptive import (
    GroupSummary,
    standardised_difference,
    summarise_changes,
)
from tpn_metrics.evaluation.stats.inputs import FloatArray
from tpn_metrics.evaluation.stats.parametric import welch_t_test, z_test_difference, z_test_within
from tpn_metrics.evaluation.stats.regression import AdjustedEstimate, ancova_adjusted_difference
from tpn_metrics.evaluation.stats.resampling import bootstrap_ci_difference, permutation_test
from tpn_metrics.evaluation.stats.results import TestResult

FRAME_COLUMNS = ("institution_id", "is_focus", "baseline", "endline")
BOOTSTRAP_CONFIDENCE = 0.95
# Rule of thumb (Stuart 2010): a standardised baseline difference above 0.25 is a meaningful
# imbalance, large enough that the raw difference in change mixes in regression to the mean.
BASELINE_IMBALANCE_SMD = 0.25

COMPARISON_ROW_COLUMNS = (
    "topic",
    "metric",
    "baseline_label",
    "endline_label",
    "group",
    *(f.name for f in fields(GroupSummary)),
)
TEST_ROW_COLUMNS = (
    "topic",
    "metric",
    "baseline_label",
    "endline_label",
    "method",
    "estimate_pp",
    "statistic",
    "p_value",
    "df",
    "ci_low_pp",
    "ci_high_pp",
    "alternative",
    "n_focus",
    "n_comparison",
    "note",
)


@dataclass(frozen=True)
class Comparison:
    """Everything computed for one topic and metric.

    ``difference_pp`` is the raw mean change of the focus group minus that of the comparison
    group. ``tests`` holds, in order: ``z_difference``, ``z_within_focus``,
    ``z_within_comparison``, ``welch_t`` and ``permutation``. ``bootstrap_ci_pp`` is the 95%
    percentile bootstrap interval of ``difference_pp``; ``adjusted`` the baseline-adjusted
    (ANCOVA) effect. ``n_resamples`` and ``seed`` are kept so the simulation-based numbers can
    be reproduced.
    """

    topic: str
    metric: str
    baseline_label: str
    endline_label: str
    focus: GroupSummary
    comparison: GroupSummary
    difference_pp: float
    tests: tuple[TestResult, ...]
    bootstrap_ci_pp: tuple[float, float]
    adjusted: AdjustedEstimate
    warnings: tuple[str, ...]
    n_resamples: int
    seed: int


def _validated(frame: pd.DataFrame) -> pd.DataFrame:
    missing = [column for column in FRAME_COLUMNS if column not in frame.columns]
    if missing:
        raise ValueError(f"frame lacks columns: {', '.join(missing)}")
    ids = frame["institution_id"]
    if ids.isna().any():
        raise ValueError("institution_id must not be missing")
    duplicated = ids[ids.duplicated()].unique().tolist()
    if duplicated:
        # A repeated institution would be counted twice and shrink every standard error.
        raise ValueError(f"institution_id must be unique, repeated: {duplicated[:5]}")
    flags = frame["is_focus"]
    if flags.isna().any() or not flags.isin([True, False]).all():
        raise ValueError("is_focus must contain only booleans (no missing values)")
    return frame.loc[:, list(FRAME_COLUMNS)]


def _floats(series: pd.Series) -> FloatArray:
    return np.asarray(pd.to_numeric(series).to_numpy(dtype=np.float64, na_value=np.nan))


def _changes(baseline: FloatArray, endline: FloatArray) -> FloatArray:
    change = endline - baseline
    return change[~np.isnan(change)]


def _excluded(n: int, group: str, what: str) -> str:
    if n == 1:
        return f"1 {group} institution lacks {what} and was excluded"
    return f"{n} {group} institutions lack {what} and were excluded"


def comparison_warnings(
    focus: GroupSummary,
    comparison: GroupSummary,
    baseline_focus: FloatArray,
    baseline_comparison: FloatArray,
    min_group_size: int,
    unit: str = "pp",
) -> tuple[str, ...]:
    """Plain-language caveats of a comparison: institutions excluded for a missing value,
    groups below ``min_group_size``, and a baseline imbalance above
    :data:`BASELINE_IMBALANCE_SMD` (baselines of the institutions with both values, in the
    metric's unit; their difference is written in ``unit``, the metric's difference unit:
    "pp", "per 1,000 live births")."""
    messages: list[str] = []
    for name, summary in (("focus", focus), ("comparison", comparison)):
        if summary.n_missing_baseline:
            messages.append(_excluded(summary.n_missing_baseline, name, "a baseline value"))
        if summary.n_missing_endline:
            messages.append(_excluded(summary.n_missing_endline, name, "an endline value"))
    for name, summary in (("focus", focus), ("comparison", comparison)):
        if summary.n < min_group_size:
            messages.append(
                f"{name} group has only {summary.n} "
                f"{'institution' if summary.n == 1 else 'institutions'} with both values; "
                f"below {min_group_size}, results are not meaningful"
            )

    # Baseline balance uses only institutions with both values, the ones actually compared.
    smd = standardised_difference(baseline_focus, baseline_comparison)
    if math.isfinite(smd) and abs(smd) > BASELINE_IMBALANCE_SMD:
        gap = float(baseline_focus.mean() - baseline_comparison.mean())
        direction = "lower" if gap < 0 else "higher"
        messages.append(
            f"focus group started {abs(gap):.1f} {unit} {direction} than the comparison "
            f"group (standardised difference {abs(smd):.2f}); part of the raw "
            "difference in change may be regression to the mean, so prefer the "
            "baseline-adjusted (ANCOVA) estimate"
        )
    return tuple(messages)


def compare_groups(
    frame: pd.DataFrame,
    *,
    topic: str,
    metric: str,
    baseline_label: str,
    endline_label: str,
    tolerance: float = 0.0,
    n_resamples: int = 10_000,
    seed: int = 20240,
    min_group_size: int = 5,
    unit: str = "pp",
) -> Comparison:
    """Compare the change in ``metric`` between focus and comparison institutions.

    ``frame`` has one row per institution with columns ``institution_id`` (unique),
    ``is_focus`` (bool), ``baseline`` and ``endline`` (floats in percent; NaN when not
    measured). Institutions lacking either value are excluded from every statistic and
    reported in ``warnings``. ``tolerance`` (pp) decides when a change counts as unchanged.
    Simulation-based results (permutation, bootstrap) are reproducible for a given ``seed``.
    ``unit`` is how a difference of the metric is written in ``warnings`` ("pp", "per 1,000
    live births").
    """
    if min_group_size < 1:
        raise ValueError(f"min_group_size must be at least 1, got {min_group_size}")
    data = _validated(frame)
    is_focus = data["is_focus"].astype(bool).to_numpy()
    baseline = _floats(data["baseline"])
    endline = _floats(data["endline"])

    focus = summarise_changes(baseline[is_focus], endline[is_focus], tolerance)
    comparison = summarise_changes(baseline[~is_focus], endline[~is_focus], tolerance)
    changes_focus = _changes(baseline[is_focus], endline[is_focus])
    changes_comparison = _changes(baseline[~is_focus], endline[~is_focus])
    complete = ~(np.isnan(baseline) | np.isnan(endline))

    tests = (
        z_test_difference(changes_focus, changes_comparison),
        replace(z_test_within(changes_focus), method="z_within_focus"),
        # z_test_within reports its group as n_focus; here that group is the comparison group.
        replace(
            z_test_within(changes_comparison),
            method="z_within_comparison",
            n_focus=0,
            n_comparison=comparison.n,
        ),
        welch_t_test(changes_focus, changes_comparison),
        permutation_test(changes_focus, changes_comparison, n_resamples=n_resamples, seed=seed),
    )
    return Comparison(
        topic=topic,
        metric=metric,
        baseline_label=baseline_label,
        endline_label=endline_label,
        focus=focus,
        comparison=comparison,
        difference_pp=focus.mean_change_pp - comparison.mean_change_pp,
        tests=tests,
        bootstrap_ci_pp=bootstrap_ci_difference(
            changes_focus,
            changes_comparison,
            n_resamples=n_resamples,
            confidence=BOOTSTRAP_CONFIDENCE,
            seed=seed,
        ),
        adjusted=ancova_adjusted_difference(baseline, endline, is_focus),
        warnings=comparison_warnings(
            focus,
            comparison,
            baseline[is_focus & complete],
            baseline[~is_focus & complete],
            min_group_size,
            unit,
        ),
        n_resamples=n_resamples,
        seed=seed,
    )


def _labels(c: Comparison) -> dict[str, object]:
    return {
        "topic": c.topic,
        "metric": c.metric,
        "baseline_label": c.baseline_label,
        "endline_label": c.endline_label,
    }


def comparison_rows(c: Comparison) -> list[dict[str, object]]:
    """Group summaries as a long table: one row per group, focus first.

    Columns (``COMPARISON_ROW_COLUMNS``): ``topic``, ``metric``, ``baseline_label``,
    ``endline_label``, ``group`` ("focus" or "comparison"), then the :class:`GroupSummary`
    fields: ``n``, ``n_missing``, ``n_missing_baseline``, ``n_missing_endline``,
    ``baseline_mean``, ``endline_mean`` (percent), ``mean_change_pp``, ``sd_change_pp`` (pp),
    ``n_improved``, ``n_unchanged``, ``n_declined`` and ``pct_improved``, ``pct_unchanged``,
    ``pct_declined`` (percent of ``n``).
    """
    return [
        {**_labels(c), "group": name, **asdict(summary)}
        for name, summary in (("focus", c.focus), ("comparison", c.comparison))
    ]


def test_rows(c: Comparison) -> list[dict[str, object]]:
    """Tests and estimators as a long table: one row per method.

    Columns (``TEST_ROW_COLUMNS``): ``topic``, ``metric``, ``baseline_label``, ``endline_label``;
    ``method`` (``z_difference``, ``z_within_focus``, ``z_within_comparison``, ``welch_t``,
    ``permutation``, ``bootstrap_percentile``, ``ancova``); ``estimate_pp`` (the raw difference
    in mean change for two-group methods, the group's mean change for the within-group tests,
    the adjusted coefficient for ANCOVA); ``statistic`` (z, t, or the difference in means for
    the permutation test; NaN for the bootstrap); ``p_value`` (one-sided); ``df`` (t-based
    methods, else NaN); ``ci_low_pp`` and ``ci_high_pp`` (two-sided 95% interval where the
    method gives one, else NaN); ``alternative`` ("greater", or "two-sided" for the bootstrap
    interval); ``n_focus``, ``n_comparison`` (institutions used); ``note`` (why a value is
    missing, how it was computed).
    """
    estimates = {
        "z_difference": c.difference_pp,
        "z_within_focus": c.focus.mean_change_pp,
        "z_within_comparison": c.comparison.mean_change_pp,
        "welch_t": c.difference_pp,
        "permutation": c.difference_pp,
    }
    rows: list[dict[str, object]] = [
        {
            **_labels(c),
            "method": test.method,
            "estimate_pp": estimates.get(test.method, math.nan),
            "statistic": test.statistic,
            "p_value": test.p_value,
            "df": test.df,
            "ci_low_pp": math.nan,
            "ci_high_pp": math.nan,
            "alternative": test.alternative,
            "n_focus": test.n_focus,
            "n_comparison": test.n_comparison,
            "note": test.note,
        }
        for test in c.tests
    ]
    low, high = c.bootstrap_ci_pp
    rows.append(
        {
            **_labels(c),
            "method": "bootstrap_percentile",
            "estimate_pp": c.difference_pp,
            "statistic": math.nan,
            "p_value": math.nan,
            "df": math.nan,
            "ci_low_pp": low,
            "ci_high_pp": high,
            "alternative": "two-sided",
            "n_focus": c.focus.n,
            "n_comparison": c.comparison.n,
            "note": (
                "needs at least 2 institutions per group"
                if math.isnan(low)
                else f"{c.n_resamples} resamples per group, seed {c.seed}"
            ),
        }
    )
    a = c.adjusted
    rows.append(
        {
            **_labels(c),
            "method": a.method,
            "estimate_pp": a.estimate_pp,
            "statistic": a.statistic,
            "p_value": a.p_value,
            "df": a.df,
            "ci_low_pp": a.ci_low_pp,
            "ci_high_pp": a.ci_high_pp,
            "alternative": a.alternative,
            "n_focus": a.n_focus,
            "n_comparison": a.n_comparison,
            "note": a.note,
        }
    )
    return rows


# The name starts with "test_", so pytest would collect it from any test module importing it.
test_rows.__test__ = False  # type: ignore[attr-defined]
