"""The evaluation report: one self-contained HTML file, and Markdown for a Prefect artifact.

Written for a programme manager: what was compared, the group means and changes in
percentage points, how many improved, the tests with one-line assumptions, and plots.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd
from matplotlib.figure import Figure

from tpn_metrics.evaluation.runner import EvaluationRun
from tpn_metrics.figures import RENDER_LOCK, img_tag, png_bytes
from tpn_metrics.reports.markdown_tables import markdown_table_html, number_cell


@dataclass(frozen=True)
class ReportSection:
    """A section another part of the pipeline contributes (corrections, twinning)."""

    markdown: str
    html: str


ASSUMPTIONS = {
    "z_difference": "The paper's test: large-sample normal approximation of the difference in "
    "mean change; unreliable with few institutions.",
    "z_within_focus": "Paper's before/after test within the focus group (does the mean change "
    "exceed 0?); says nothing about the comparison group.",
    "z_within_comparison": "Before/after test within the comparison group.",
    "welch_t": "Difference in mean change, t distribution with unequal variances; assumes "
    "roughly normal changes.",
    "permutation": "Exact or Monte-Carlo re-labelling of groups; assumes only that labels are "
    "exchangeable under no effect.",
    "bootstrap_percentile": "95% interval for the difference by resampling institutions; "
    "assumes the sample represents its group.",
    "ancova": "Endline regressed on baseline and group: removes the part of the gain explained "
    "by a low start (regression to the mean); assumes a common linear slope.",
    "did_weekly_panel": "Difference-in-differences on 13-week mean coverage before and after; "
    "assumes both groups would have moved in parallel without the programme; standard error "
    "clustered by district.",
}


def _fmt(value: object, digits: int = 2) -> str:
    return number_cell(value, digits)


def _p(value: object) -> str:
    if not isinstance(value, float) or math.isnan(value):
        return "–"
    return "< 0.001" if value < 0.001 else f"{value:.3f}"


def slope_plot_png(institutions: pd.DataFrame, title: str, unit: str) -> bytes:
    """Per-institution before/after lines by group: the picture behind the mean change."""
    with RENDER_LOCK:
        figure = Figure(figsize=(6.4, 3.6), dpi=100)
        axes = figure.subplots(1, 2, sharey=True)
        for ax, (is_focus, label, colour) in zip(
            axes, ((True, "Focus", "#c0392b"), (False, "Comparison", "#2c7fb8")), strict=True
        ):
            group = institutions[institutions["is_focus"] == is_focus].dropna(
                subset=["baseline", "endline"]
            )
            for row in group.itertuples():
                ax.plot([0, 1], [row.baseline, row.endline], color=colour, alpha=0.35, lw=1)
            if len(group):
                ax.plot(
                    [0, 1],
                    [group["baseline"].mean(), group["endline"].mean()],
                    color=colour,
                    lw=3,
                    label="mean",
                )
            ax.set_xticks([0, 1], ["before", "after"])
            ax.set_title(f"{label} (n = {len(group)})", fontsize=10)
            ax.grid(alpha=0.3)
        axes[0].set_ylabel(unit)
        figure.suptitle(title, fontsize=11)
        figure.tight_layout()
        return png_bytes(figure)


def changes_plot_png(institutions: pd.DataFrame, title: str) -> bytes:
    """Each institution's change as a dot, by group, over a box of the middle half."""
    with RENDER_LOCK:
        figure = Figure(figsize=(6.4, 2.6), dpi=100)
        ax = figure.subplots()
        groups = ((True, "Focus", "#c0392b"), (False, "Comparison", "#2c7fb8"))
        data = []
        for position, (is_focus, _label, colour) in enumerate(groups):
            changes = institutions.loc[institutions["is_focus"] == is_focus, "change"].dropna()
            data.append(changes.to_numpy())
            jitter = [((i * 7919) % 100 / 100 - 0.5) * 0.3 for i in range(len(changes))]
            ax.scatter(changes, [position + j for j in jitter], color=colour, alpha=0.6, s=18)
        ax.boxplot(data, positions=[0, 1], orientation="horizontal", widths=0.5, showfliers=False)
        ax.axvline(0, color="#555555", lw=1)
        ax.set_yticks(
            [0, 1],
            [f"{label} (n = {len(d)})" for (_, label, _), d in zip(groups, data, strict=True)],
        )
        ax.set_xlabel("change (percentage points)")
        ax.set_title(title, fontsize=10)
        ax.grid(axis="x", alpha=0.3)
        figure.tight_layout()
        return png_bytes(figure)


def trajectories_plot_png(trajectories: pd.DataFrame) -> bytes:
    """Mean weekly CBHI coverage of focus vs other districts, reported and corrected."""
    with RENDER_LOCK:
        figure = Figure(figsize=(7.5, 3.2), dpi=100)
        ax = figure.subplots()
        labelled: set[tuple[bool, str]] = set()
        # One line per fiscal year: coverage is cumulative within a year and restarts in July.
        for (is_focus, measure, _fy), group in trajectories.groupby(
            ["is_focus", "measure", "fiscal_year"]
        ):
            key = (bool(is_focus), str(measure))
            ax.plot(
                pd.to_datetime(group["report_date"]),
                group["coverage_pct"],
                "-" if measure == "reported" else ":",
                color="#c0392b" if is_focus else "#2c7fb8",
                label=None
                if key in labelled
                else f"{'focus' if is_focus else 'other'} districts, {measure}",
                lw=1.6,
            )
            labelled.add(key)
        ax.set_ylabel("mean coverage (%)")
        ax.set_title(
            "CBHI coverage by week, districts focused on enrolment vs the others", fontsize=10
        )
        ax.legend(fontsize=8, ncol=2)
        ax.grid(alpha=0.3)
        figure.tight_layout()
        return png_bytes(figure)


def _group_table_md(groups: pd.DataFrame) -> list[str]:
    lines = [
        "| group | n | excluded | baseline mean | endline mean | mean change (pp) "
        "| improved % | unchanged % | declined % |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in groups.itertuples():
        lines.append(
            f"| {row.group} | {row.n} | {row.n_missing} | {_fmt(row.baseline_mean)} "
            f"| {_fmt(row.endline_mean)} | {_fmt(row.mean_change_pp)} "
            f"| {_fmt(row.pct_improved, 1)} | {_fmt(row.pct_unchanged, 1)} "
            f"| {_fmt(row.pct_declined, 1)} |"
        )
    return lines


def _test_table_md(tests: pd.DataFrame) -> list[str]:
    lines = [
        "| method | estimate (pp) | statistic | p (one-sided) | 95% CI (pp) | note |",
        "|---|---:|---:|---:|---|---|",
    ]
    for row in tests.itertuples():
        ci = (
            f"{_fmt(row.ci_low_pp)} to {_fmt(row.ci_high_pp)}"
            if not (isinstance(row.ci_low_pp, float) and math.isnan(row.ci_low_pp))
            else "–"
        )
        lines.append(
            f"| {row.method} | {_fmt(row.estimate_pp)} | {_fmt(row.statistic)} "
            f"| {_p(row.p_value)} | {ci} | {row.note or ''} |"
        )
    return lines


def render_markdown(run: EvaluationRun, sections: Sequence[ReportSection] = ()) -> str:
    lines = [
        "# TPN evaluation",
        "",
        "Did institutions that chose a focus area improve more on it than those that did not? "
        "Changes are in percentage points (pp); p-values are one-sided (focus > comparison).",
    ]
    for comparison_id, dataset, comparison in run.comparisons:
        groups = run.groups[run.groups["comparison_id"] == comparison_id]
        tests = run.tests[run.tests["comparison_id"] == comparison_id]
        lines += [
            "",
            f"## {comparison_id.replace('_', ' ')}",
            "",
            f"{dataset.metric} ({dataset.unit}), {dataset.baseline_label} → "
            f"{dataset.endline_label}. Difference in mean change, focus − comparison: "
            f"**{_fmt(comparison.difference_pp)} pp**; baseline-adjusted (ANCOVA): "
            f"**{_fmt(comparison.adjusted.estimate_pp)} pp**.",
            "",
            *_group_table_md(groups),
            "",
            *_test_table_md(tests),
        ]
        for warning in comparison.warnings:
            lines.append(f"\n> ⚠ {warning}")
    for section in sections:
        lines += ["", section.markdown]
    lines += ["", "## Methods and their assumptions", ""]
    lines += [f"- **{name}**: {text}" for name, text in ASSUMPTIONS.items()]
    return "\n".join(lines) + "\n"


def render_html(
    run: EvaluationRun,
    sections: Sequence[ReportSection] = (),
    trajectories: pd.DataFrame | None = None,
) -> str:
    parts = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        "<title>TPN evaluation</title><style>",
        "body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;color:#222}",
        "table{border-collapse:collapse;margin:1rem 0}td,th{border:1px solid #ccc;"
        "padding:.3rem .6rem;text-align:right}th{background:#f3f3f3}",
        ".warn{background:#fff4e0;border-left:4px solid #e6a100;padding:.5rem 1rem}",
        "</style></head><body>",
        "<h1>TPN evaluation</h1>",
        "<p>Did institutions that chose a focus area improve more on it than those that did "
        "not? Changes are in <b>percentage points (pp)</b>; p-values are one-sided "
        "(focus &gt; comparison).</p>",
    ]
    for comparison_id, dataset, comparison in run.comparisons:
        groups = run.groups[run.groups["comparison_id"] == comparison_id]
        tests = run.tests[run.tests["comparison_id"] == comparison_id]
        institutions = run.institutions[run.institutions["comparison_id"] == comparison_id]
        title = comparison_id.replace("_", " ")
        parts += [
            f"<h2>{html.escape(title)}</h2>",
            f"<p>{html.escape(dataset.metric)} ({html.escape(dataset.unit)}), "
            f"{html.escape(dataset.baseline_label)} → {html.escape(dataset.endline_label)}. "
            f"Difference in mean change, focus − comparison: "
            f"<b>{_fmt(comparison.difference_pp)} pp</b>; baseline-adjusted (ANCOVA): "
            f"<b>{_fmt(comparison.adjusted.estimate_pp)} pp</b>.</p>",
            markdown_table_html(_group_table_md(groups)),
            markdown_table_html(_test_table_md(tests)),
        ]
        parts += [f"<p class='warn'>⚠ {html.escape(w)}</p>" for w in comparison.warnings]
        if comparison_id != "cbhi_uninsured_decline":
            parts.append(
                img_tag(
                    slope_plot_png(institutions, title, dataset.unit),
                    f"before/after by institution, {title}",
                )
            )
        parts.append(
            img_tag(
                changes_plot_png(institutions, f"Distribution of changes, {title}"),
                f"distribution of changes, {title}",
            )
        )
        if comparison_id == "cbhi_coverage_reported" and trajectories is not None:
            parts.append(img_tag(trajectories_plot_png(trajectories), "coverage trajectories"))
    parts += [section.html for section in sections]
    parts.append("<h2>Methods and their assumptions</h2><ul>")
    parts += [
        f"<li><b>{html.escape(name)}</b>: {html.escape(text)}</li>"
        for name, text in ASSUMPTIONS.items()
    ]
    parts.append("</ul></body></html>")
    return "\n".join(parts)
