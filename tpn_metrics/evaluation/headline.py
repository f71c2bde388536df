"""One headline per comparison, in words: the estimate the report recommends, its 95% interval
and its one-sided p-value. ``tpn evaluate`` prints these; the report's summary is built from
them, so the two cannot disagree.

The recommended estimator of a before/after comparison is the baseline-adjusted (ANCOVA)
effect: it removes the part of a low starter's gain that is regression to the mean, and is at
least as precise as the raw difference in change (Vickers & Altman, BMJ 2001). When it cannot
be computed, Welch's t-test on the raw difference is the fallback. The uninsured-share decline
is a ratio of group means, so its headline is the bootstrap interval and permutation p-value
(not baseline-adjusted): each group's decline is (ū0 − ū1)/ū0 in % of the baseline uninsured
share (positive = fewer uninsured), the effect the focus decline minus the others' in
percentage points.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from tpn_metrics.evaluation.datasets import Dataset
from tpn_metrics.evaluation.runner import UNINSURED_METHOD, EvaluationRun, uninsured_id

METHOD_NAMES = {
    "z_difference": "two-sample z-test, as in the paper",
    "z_within_focus": "before/after z-test in the focus group, as in the paper",
    "z_within_comparison": "before/after z-test in the comparison group, as in the paper",
    "welch_t": "Welch's t-test (unequal variances)",
    "permutation": "permutation test",
    "bootstrap_percentile": "bootstrap 95% interval",
    "ancova": "baseline-adjusted (ANCOVA)",
    "did_weekly_panel": "difference-in-differences on 13-week averages",
    "did_monthly_panel": "difference-in-differences on 3-month values",
    UNINSURED_METHOD: "group-mean decline, bootstrap interval and permutation test",
}

COMPARISON_TITLES = {
    "accreditation_level_2": "Hospital accreditation, level-2 score",
    "cbhi_coverage_reported": "CBHI coverage, as reported by RSSB",
    "cbhi_coverage_corrected": "CBHI coverage, corrected with census projections",
    "cbhi_uninsured_decline_reported": "Decline of the uninsured share, reported coverage",
    "cbhi_uninsured_decline_corrected": "Decline of the uninsured share, corrected coverage",
}

PP = "percentage points"
# The uninsured-share decline, one definition everywhere (tpn_metrics.evaluation.uninsured):
# (ū0 − ū1) / ū0 × 100, positive = fewer uninsured, in % of the baseline uninsured share.
OF_BASELINE_SHARE = "% of the baseline uninsured share"
PP_OF_UNINSURED = (
    "percentage points (focus decline minus the others', each in % of the baseline uninsured share)"
)


def method_name(method: str) -> str:
    """A method id as people call it ("ancova" → "baseline-adjusted (ANCOVA)")."""
    return METHOD_NAMES.get(method, method.replace("_", " "))


def comparison_title(comparison_id: str, dataset: Dataset | None = None) -> str:
    """A comparison id as a title for people: the dataset's own title (service topics), a
    known id's, else the id with underscores as spaces."""
    if dataset is not None and dataset.title:
        return dataset.title
    return COMPARISON_TITLES.get(comparison_id, comparison_id.replace("_", " "))


def difference_words(dataset: Dataset) -> tuple[str, str]:
    """How a change or an effect of ``dataset`` is written: ``(short, long)`` units,
    ``("pp", "percentage points")`` for percentages, else the unit twice (``per 1,000 live
    births``)."""
    if dataset.difference_unit == "pp":
        return "pp", PP
    return dataset.difference_unit, dataset.difference_unit


@dataclass(frozen=True)
class Headline:
    """The recommended result of one comparison. ``estimate``, ``ci_low``, ``ci_high`` are in
    ``unit``; ``focus`` / ``comparison`` describe each group's own change in words."""

    comparison_id: str
    title: str
    periods: str
    focus: str
    comparison: str
    method: str
    estimate: float
    ci_low: float
    ci_high: float
    p_value: float
    unit: str
    n_focus: int
    n_comparison: int
    #: False when a negative effect is the improvement (birth asphyxia, stock-outs).
    higher_is_better: bool = True


def signed(value: float, digits: int = 1) -> str:
    """``value`` with its sign and a typographic minus ("+3.4", "−1.3"); "–" for NaN."""
    if math.isnan(value):
        return "–"
    return f"{value:+.{digits}f}".replace("-", "−")


def p_text(p: float) -> str:
    """A p-value as reported: "p = 0.078", "p < 0.001", or "p not computable" for NaN."""
    if math.isnan(p):
        return "p not computable"
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}"


def headlines(run: EvaluationRun) -> list[Headline]:
    """One :class:`Headline` per comparison and per uninsured-decline measure, in report order."""
    found = []
    for comparison_id, dataset, c in run.comparisons:
        short, unit = difference_words(dataset)
        tests = run.tests[run.tests["comparison_id"] == comparison_id].set_index("method")
        method = "ancova"
        if math.isnan(float(tests.loc["ancova", "p_value"])):
            method = "welch_t"
        row = tests.loc[method]
        low, high = float(row["ci_low_pp"]), float(row["ci_high_pp"])
        if method == "welch_t":
            low, high = (
                float(v) for v in tests.loc["bootstrap_percentile", ["ci_low_pp", "ci_high_pp"]]
            )
        found.append(
            Headline(
                comparison_id=comparison_id,
                title=comparison_title(comparison_id, dataset),
                periods=f"{c.baseline_label} → {c.endline_label}",
                focus=f"{signed(c.focus.mean_change_pp)} {short} (n = {c.focus.n})",
                comparison=f"{signed(c.comparison.mean_change_pp)} {short} (n = {c.comparison.n})",
                method=method_name(method),
                estimate=float(row["estimate_pp"]),
                ci_low=low,
                ci_high=high,
                p_value=float(row["p_value"]),
                unit=unit,
                n_focus=int(row["n_focus"]),
                n_comparison=int(row["n_comparison"]),
                higher_is_better=dataset.higher_is_better,
            )
        )
        for decline in run.uninsured:
            if f"cbhi_coverage_{decline.coverage}" != comparison_id:
                continue
            found.append(
                Headline(
                    comparison_id=uninsured_id(decline),
                    title=comparison_title(uninsured_id(decline)),
                    periods=f"{decline.baseline_label} → {decline.endline_label}",
                    focus=(
                        f"{signed(decline.focus.decline_pct)} {OF_BASELINE_SHARE} "
                        f"(n = {decline.focus.n})"
                    ),
                    comparison=(
                        f"{signed(decline.comparison.decline_pct)} {OF_BASELINE_SHARE} "
                        f"(n = {decline.comparison.n})"
                    ),
                    method=method_name(UNINSURED_METHOD),
                    estimate=decline.difference_pp,
                    ci_low=decline.ci_low_pp,
                    ci_high=decline.ci_high_pp,
                    p_value=decline.p_value,
                    unit=PP_OF_UNINSURED,
                    n_focus=decline.focus.n,
                    n_comparison=decline.comparison.n,
                )
            )
    return found


def corrected_first(heads: list[Headline]) -> list[Headline]:
    """The headlines with each corrected-coverage result just before its reported twin
    (``…_corrected`` before ``…_reported``): corrected coverage is the primary figure, RSSB's
    the one beside it. Other headlines keep their order."""
    by_id = {h.comparison_id: h for h in heads}
    ordered: dict[str, Headline] = {}
    for h in heads:
        twin_id = h.comparison_id.removesuffix("_reported") + "_corrected"
        if h.comparison_id.endswith("_reported") and twin_id in by_id:
            ordered.setdefault(twin_id, by_id[twin_id])
        ordered.setdefault(h.comparison_id, h)
    return list(ordered.values())


def headline_text(h: Headline) -> str:
    """One line: what, the two groups, the recommended effect with its interval and p."""
    interval = (
        "no interval"
        if math.isnan(h.ci_low)
        else f"95% interval {signed(h.ci_low)} to {signed(h.ci_high)}"
    )
    return (
        f"{h.title} ({h.periods}): focus {h.focus}, comparison {h.comparison}; "
        f"effect {signed(h.estimate)} {h.unit}, {interval}, {p_text(h.p_value)} "
        f"(one-sided) — {h.method}"
    )
