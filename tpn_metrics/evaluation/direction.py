"""Comparisons of metrics where lower is better (birth asphyxia, stock-outs; issue #22).

Every test of :mod:`tpn_metrics.evaluation.stats` asks whether the focus group gained more
(alternative "greater"). For a metric where lower is better the question is whether its value
fell more, so the comparison runs on negated values and is then told in the metric's own
sign: means, estimates, statistics and intervals negated back (bounds swapped), alternatives
"less". p-values, counts and the ANCOVA baseline slope are unchanged by the mirroring, and
"improved" counts the institutions whose value fell.
"""

from __future__ import annotations

from dataclasses import replace
from functools import partial

import numpy as np
import pandas as pd

from tpn_metrics.evaluation.compare import Comparison, compare_groups, comparison_warnings
from tpn_metrics.evaluation.stats.descriptive import GroupSummary
from tpn_metrics.evaluation.stats.regression import DidEstimate, difference_in_differences

LESS = "less"


def _neg(value: float) -> float:
    """−value, without a negative zero ("−0.0" in a report reads as a fall)."""
    return 0.0 - value


def _mirrored_summary(s: GroupSummary) -> GroupSummary:
    return replace(
        s,
        baseline_mean=_neg(s.baseline_mean),
        endline_mean=_neg(s.endline_mean),
        mean_change_pp=_neg(s.mean_change_pp),
    )


def compare_oriented(
    frame: pd.DataFrame,
    *,
    higher_is_better: bool,
    topic: str,
    metric: str,
    baseline_label: str,
    endline_label: str,
    n_resamples: int = 10_000,
    seed: int = 20240,
    min_group_size: int = 5,
    unit: str = "pp",
) -> Comparison:
    """:func:`compare_groups` for a metric of either direction. ``frame`` as there (values
    in the metric's unit); with ``higher_is_better`` false the one-sided tests ask whether
    the focus group's value fell more than the others' (see the module doc)."""
    compare = partial(
        compare_groups,
        topic=topic,
        metric=metric,
        baseline_label=baseline_label,
        endline_label=endline_label,
        n_resamples=n_resamples,
        seed=seed,
        min_group_size=min_group_size,
        unit=unit,
    )
    if higher_is_better:
        return compare(frame)
    c = compare(frame.assign(baseline=-frame["baseline"], endline=-frame["endline"]))
    focus, comparison = _mirrored_summary(c.focus), _mirrored_summary(c.comparison)
    baseline = pd.to_numeric(frame["baseline"]).to_numpy(dtype=np.float64, na_value=np.nan)
    endline = pd.to_numeric(frame["endline"]).to_numpy(dtype=np.float64, na_value=np.nan)
    is_focus = frame["is_focus"].astype(bool).to_numpy()
    complete = ~(np.isnan(baseline) | np.isnan(endline))
    a = c.adjusted
    low, high = c.bootstrap_ci_pp
    return replace(
        c,
        focus=focus,
        comparison=comparison,
        difference_pp=_neg(c.difference_pp),
        tests=tuple(replace(t, statistic=_neg(t.statistic), alternative=LESS) for t in c.tests),
        bootstrap_ci_pp=(_neg(high), _neg(low)),
        adjusted=replace(
            a,
            estimate_pp=_neg(a.estimate_pp),
            statistic=_neg(a.statistic),
            ci_low_pp=_neg(a.ci_high_pp),
            ci_high_pp=_neg(a.ci_low_pp),
            alternative=LESS,
        ),
        # Recomputed on the real values: "started 3.0 pp higher" must not be mirrored.
        warnings=comparison_warnings(
            focus,
            comparison,
            baseline[is_focus & complete],
            baseline[~is_focus & complete],
            min_group_size,
            unit,
        ),
    )


def did_oriented(panel: pd.DataFrame, *, higher_is_better: bool) -> DidEstimate:
    """:func:`difference_in_differences` of a metric of either direction (``panel`` as
    there); lower is better: the test asks whether the focus units' value fell more
    (alternative "less"), estimate and interval in the metric's own sign."""
    if higher_is_better:
        return difference_in_differences(panel)
    e = difference_in_differences(panel.assign(value=-panel["value"]))
    return replace(
        e,
        estimate_pp=_neg(e.estimate_pp),
        statistic=_neg(e.statistic),
        ci_low_pp=_neg(e.ci_high_pp),
        ci_high_pp=_neg(e.ci_low_pp),
        alternative=LESS,
    )
