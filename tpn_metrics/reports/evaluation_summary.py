"""The parts of the evaluation report written for a programme manager: the one-minute summary,
the uninsured-share decline, and our figures beside the published paper's.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from tpn_metrics.evaluation.datasets import Dataset
from tpn_metrics.evaluation.headline import (
    Headline,
    comparison_title,
    difference_words,
    p_text,
    signed,
)
from tpn_metrics.evaluation.paper import INCONSISTENCIES, PAPER, paper_rows
from tpn_metrics.evaluation.runner import EvaluationRun
from tpn_metrics.evaluation.stats.descriptive import standardised_difference
from tpn_metrics.evaluation.uninsured import UninsuredDecline
from tpn_metrics.reports.markdown_tables import number_cell
from tpn_metrics.reports.report_blocks import Block

GROUP_WORDS = {
    "accreditation": ("hospitals that chose accreditation as their TPN focus", "other hospitals"),
    "cbhi_enrollment": ("districts that chose CBHI enrolment as their focus", "other districts"),
}


def group_words(comparison_id: str, topic: str) -> tuple[str, str]:
    """How the focus and comparison groups of a comparison are called: the paper's topics by
    name; a service topic's by its level (``…_districts`` / ``…_hospitals``)."""
    if topic in GROUP_WORDS:
        return GROUP_WORDS[topic]
    for level in ("districts", "hospitals"):
        if comparison_id.endswith(f"_{level}"):
            what = topic.replace("_", " ")
            return f"{level} with {what} as their TPN focus", f"other {level}"
    return "focus institutions", "the others"


def how_sure(h: Headline) -> str:
    """One sentence for a programme manager on the headline's one-sided p-value and its 95%
    interval: rarely chance (p < 0.05 and the interval excludes no effect: above 0, or below
    0 where lower is better), suggestive (p < 0.10), could well be chance, or too few
    institutions (p is NaN)."""
    if math.isnan(h.p_value):
        return "Too few institutions to say how sure this is."
    excludes_no_effect = h.ci_low > 0 if h.higher_is_better else h.ci_high < 0
    if h.p_value < 0.05 and excludes_no_effect:
        return f"A difference this large would rarely arise by chance alone ({p_text(h.p_value)})."
    if h.p_value < 0.10:
        return (
            f"Suggestive, but chance cannot be ruled out ({p_text(h.p_value)}; the 95% "
            "interval includes no effect)."
            if not excludes_no_effect
            else f"Suggestive ({p_text(h.p_value)})."
        )
    return f"This could well be chance ({p_text(h.p_value)}): the 95% interval includes no effect."


# What the summary names each compared measure by; corrected coverage stands for both.
_COMPARED = {
    "cbhi_coverage_corrected": "CBHI coverage (corrected with census projections, with RSSB's "
    "reported figure beside it)",
}


def _what_was_compared(run: EvaluationRun) -> str:
    ids = {cid for cid, _d, _c in run.comparisons}
    parts = []
    for comparison_id, dataset, c in run.comparisons:
        if comparison_id == "cbhi_coverage_reported" and "cbhi_coverage_corrected" in ids:
            continue
        focus, others = group_words(comparison_id, dataset.topic)
        title = _COMPARED.get(comparison_id, comparison_title(comparison_id, dataset))
        parts.append(
            f"{c.focus.n} {focus} against {c.comparison.n} {others}, on {title} "
            f"({dataset.baseline_label} → {dataset.endline_label})"
        )
    return "We compared " + "; and ".join(parts) + "."


def _result(h: Headline) -> str:
    interval = (
        "" if math.isnan(h.ci_low) else f" (95% interval {signed(h.ci_low)} to {signed(h.ci_high)})"
    )
    return (
        f"{h.title}: focus {h.focus}, others {h.comparison}. Estimated effect "
        f"{signed(h.estimate)} {h.unit}{interval}, by {h.method}. {how_sure(h)}"
    )


def _beside(h: Headline) -> str:
    """RSSB's reported figure, given beside the corrected one it is paired with."""
    return (
        f"As reported by RSSB: focus {h.focus}, others {h.comparison}; effect "
        f"{signed(h.estimate)} {h.unit} ({p_text(h.p_value)})."
    )


def result_lines(heads: list[Headline]) -> list[str]:
    """One line per measure. Corrected coverage is the primary figure: where a reported
    comparison has a corrected twin (``…_reported`` / ``…_corrected``), the line leads with the
    corrected result and gives the reported one beside it."""
    by_id = {h.comparison_id: h for h in heads}
    lines = []
    for h in heads:
        if h.comparison_id.endswith("_corrected") and (
            h.comparison_id.removesuffix("_corrected") + "_reported" in by_id
        ):
            continue  # given with its reported twin, below
        twin = (
            by_id.get(h.comparison_id.removesuffix("_reported") + "_corrected")
            if h.comparison_id.endswith("_reported")
            else None
        )
        lines.append(_result(h) if twin is None else f"{_result(twin)} {_beside(h)}")
    return lines


# A focus group "started worse" when its mean baseline is worse than the others' by a
# standardised difference of at least 0.1 (Austin 2009: below 0.1 an imbalance is negligible),
# on the institutions compared (both values). A group of one has no SD: there the difference
# must show at the report's one decimal. A difference that reads 0.0 is never named.
RTM_MIN_SMD = 0.1


def worse_start(dataset: Dataset) -> float | None:
    """How much worse the focus group started on ``dataset``: focus mean baseline minus the
    others' (in the metric's unit; negative where higher is better) when it is worse by a
    meaningful amount (:data:`RTM_MIN_SMD`, see there), else None. Institutions without both
    values are left out, as in the comparison."""
    frame = dataset.frame
    complete = (frame["baseline"].notna() & frame["endline"].notna()).to_numpy()
    is_focus = frame["is_focus"].astype(bool).to_numpy()
    baseline = pd.to_numeric(frame["baseline"]).to_numpy(dtype=np.float64, na_value=np.nan)
    focus, others = baseline[complete & is_focus], baseline[complete & ~is_focus]
    if focus.size == 0 or others.size == 0:
        return None
    gap = float(focus.mean() - others.mean())
    worse = gap < 0 if dataset.higher_is_better else gap > 0
    smd = standardised_difference(focus, others)
    meaningful = math.isnan(smd) or abs(smd) >= RTM_MIN_SMD
    return gap if worse and meaningful and f"{abs(gap):.1f}" != "0.0" else None


def _caveats(run: EvaluationRun) -> list[str]:
    ids = {cid for cid, _d, _c in run.comparisons}
    starts = [
        (comparison_title(cid, d), d.higher_is_better, gap, difference_words(d)[0])
        for cid, d, _c in run.comparisons
        # Reported coverage is named through its corrected twin, when the run has one.
        if not (cid == "cbhi_coverage_reported" and "cbhi_coverage_corrected" in ids)
        and (gap := worse_start(d)) is not None
    ]
    # Where lower is better (birth asphyxia, stock-outs) the worse starters started higher.
    all_lower = all(higher_is_better for _t, higher_is_better, _g, _u in starts)
    named = [
        f"{title} by {abs(gap):.1f} {unit}"
        if all_lower
        else f"{title}: {'lower' if higher_is_better else 'higher'} by {abs(gap):.1f} {unit}"
        for title, higher_is_better, gap, unit in starts
    ]
    adjusted = (
        "The changes in coverage and accreditation scores above are baseline-adjusted (ANCOVA) "
        "to allow for this; the decline of the uninsured share is not (it compares ratios of "
        "group means, by bootstrap and permutation), so a larger decline in the focus group may "
        "partly be regression to the mean."
        if run.uninsured
        else "The effects above are baseline-adjusted (ANCOVA) to allow for this."
    )
    rtm = (
        f"Regression to the mean: the focus groups started {'lower' if all_lower else 'worse'} ("
        + "; ".join(named)
        + f"), and {'low' if all_lower else 'poor'} starters tend to gain more anyway. "
        + adjusted
        + " The raw differences in change are in the tables below."
        if named
        else "Regression to the mean: low starters tend to gain more anyway. " + adjusted
    )
    return [
        "Self-selection: institutions chose their own focus area, so those that chose it may "
        "differ from the others (motivation, support, other programmes). The comparison shows "
        "an association, not proof that twinning caused the gain.",
        rtm,
    ]


def summary_blocks(run: EvaluationRun, heads: list[Headline]) -> list[Block]:
    """What was compared, the result (corrected coverage first, RSSB's reported beside it),
    how sure, and the two caveats, in plain words."""
    blocks = [
        Block("h2", "Summary"),
        Block("lead", _what_was_compared(run)),
        Block("ul", lines=tuple(result_lines(heads))),
        *(Block("warn", f"{topic} not evaluated: {reason}.") for topic, reason in run.skipped),
    ]
    if any(h.comparison_id.endswith("_corrected") for h in heads):
        blocks.append(
            Block(
                "p",
                "Corrected coverage divides by census projections of the target population "
                "instead of RSSB's stale targets; it is the primary figure, with RSSB's "
                "reported one beside it.",
            )
        )
    blocks += [
        Block("p", "Two cautions when reading these results:"),
        Block("ul", lines=tuple(_caveats(run))),
    ]
    return blocks


def _uninsured_group_lines(declines: tuple[UninsuredDecline, ...]) -> list[str]:
    lines = [
        "| coverage | group | districts used | excluded | uninsured at baseline (% of target) "
        "| uninsured at endline (% of target) | decline (% of baseline uninsured share) |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for d in declines:
        for name, g in (("focus", d.focus), ("comparison", d.comparison)):
            lines.append(
                f"| {d.coverage} | {name} | {g.n} | {g.n_excluded} "
                f"| {number_cell(g.uninsured_baseline_pct, 1)} "
                f"| {number_cell(g.uninsured_endline_pct, 1)} | {signed(g.decline_pct)} |"
            )
    return lines


def _uninsured_district_lines(declines: tuple[UninsuredDecline, ...]) -> list[str]:
    header = "| district | group |"
    align = "|---|---|"
    for d in declines:
        header += (
            f" uninsured, {d.coverage} (% of target) "
            f"| decline, {d.coverage} (% of baseline uninsured share) |"
        )
        align += "---|---:|"
    lines = [header, align]
    frames = [d.districts.set_index("institution_id") for d in declines]
    for district_id, first in frames[0].sort_values("institution_name").iterrows():
        row = f"| {first['institution_name']} | {'focus' if first['is_focus'] else 'comparison'} |"
        for frame in frames:
            r = frame.loc[district_id]
            if isinstance(r["excluded_reason"], str):
                row += f" excluded: {r['excluded_reason']} | – |"
            else:
                row += (
                    f" {r['uninsured_baseline_pct']:.1f} → {r['uninsured_endline_pct']:.1f} "
                    f"| {signed(r['decline_pct'])} |"
                )
        lines.append(row)
    return lines


def uninsured_blocks(run: EvaluationRun) -> list[Block]:
    """The decline of the uninsured share (100 − coverage %), relative, in %, with the
    difference between groups in percentage points: one table at group level and one per
    district, on reported and corrected coverage. No block when ``run`` has no such result."""
    if not run.uninsured:
        return []
    blocks = [
        Block("h2", "Decline of the uninsured share"),
        Block(
            "p",
            "The uninsured share is 100 % minus coverage. As in the paper, each group's decline "
            "is the relative decline of its mean uninsured share, (ū0 − ū1) / ū0, in % of the "
            "baseline uninsured share: +35 % means the uninsured share fell by 35 % of its "
            'baseline level (the paper\'s "fell by 35 %"); a negative decline means it rose. '
            "The difference between the groups is the focus decline minus the others', in "
            "percentage points: 35 % against 22 % is a difference of 13 percentage points. A "
            "district whose coverage passes 100 % has no meaningful uninsured share: it is left "
            "out of that measure (named below) and kept in the other.",
        ),
        Block("table", lines=tuple(_uninsured_group_lines(run.uninsured))),
    ]
    for d in run.uninsured:
        interval = (
            "no interval (too few districts)"
            if math.isnan(d.ci_low_pp)
            else f"95% interval {signed(d.ci_low_pp)} to {signed(d.ci_high_pp)}"
        )
        blocks.append(
            Block(
                "p",
                f"{d.coverage.capitalize()} coverage: the focus districts' uninsured share "
                f"declined by {signed(d.focus.decline_pct)} % of its baseline, the others' by "
                f"{signed(d.comparison.decline_pct)} %: a difference of "
                f"{signed(d.difference_pp)} percentage points ({interval}; "
                f"{p_text(d.p_value)}, one-sided: the focus decline is larger).",
            )
        )
        for row in d.excluded.itertuples():
            blocks.append(
                Block(
                    "warn",
                    f"{row.institution_name} left out of {d.coverage} coverage: "
                    f"{row.excluded_reason}.",
                )
            )
    blocks.append(Block("table", lines=tuple(_uninsured_district_lines(run.uninsured))))
    return blocks


def paper_blocks(run: EvaluationRun) -> list[Block]:
    """Our figures beside the published ones (:mod:`tpn_metrics.evaluation.paper`), on the
    same definitions, each with its unit, and the paper's slips; a heading, a table, notes."""
    rows = paper_rows(run)
    lines = [
        f"| measure | unit | {PAPER}: focus | {PAPER}: comparison | ours: focus "
        "| ours: comparison |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for r in rows:
        cell = (lambda v: f"{v:.1f}") if r.unit == "%" else signed
        lines.append(
            f"| {r.measure} | {r.unit} | {cell(r.paper_focus)} | {cell(r.paper_comparison)} "
            f"| {cell(r.ours_focus)} | {cell(r.ours_comparison)} |"
        )
    blocks = [
        Block("h2", f"Our figures beside the published paper ({PAPER})"),
        Block(
            "p",
            "Same definitions as the paper: level-2 accreditation score of district and "
            "provincial hospitals, 2021 → 2023; CBHI coverage as reported by RSSB at the "
            "reports nearest 23 March 2021 and 2023; uninsured share as the relative decline "
            "(ū0 − ū1)/ū0 of the group means, in % of the baseline uninsured share (the paper's "
            '"−35 %" and "−22 %" are declines of 35 % and 22 %). Changes in pp are '
            "percentage points.",
        ),
    ]
    if rows:
        blocks.append(Block("table", lines=tuple(lines)))
    blocks += [
        Block("p", "Where the paper is inconsistent with itself:"),
        Block("ul", lines=INCONSISTENCIES),
    ]
    return blocks
