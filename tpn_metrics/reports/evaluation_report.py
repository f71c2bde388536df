"""The evaluation report: one self-contained HTML file, and Markdown for a Prefect artifact.

Written for a programme manager: a one-minute summary first (what was compared, the result,
how sure, the caveats), then our figures beside the published paper's, then each comparison
with group tables, methods by their human names, institutions by name, and plots. Both
outputs are rendered from the same blocks (:mod:`report_blocks`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial

import pandas as pd

from tpn_metrics.evaluation.headline import (
    comparison_title,
    difference_words,
    headlines,
    method_name,
)
from tpn_metrics.evaluation.runner import EvaluationRun
from tpn_metrics.reports.evaluation_plots import (
    FISCAL_YEAR_RESET,
    changes_plot_png,
    slope_plot_png,
    trajectories_plot_png,
)
from tpn_metrics.reports.evaluation_summary import paper_blocks, summary_blocks, uninsured_blocks
from tpn_metrics.reports.markdown_tables import number_cell
from tpn_metrics.reports.report_blocks import Block, to_html, to_markdown

TITLE = "TPN evaluation: did focus institutions improve more?"
RECOMMENDED = "ancova"


@dataclass(frozen=True)
class ReportSection:
    """A section another part of the pipeline contributes (corrections, twinning)."""

    markdown: str
    html: str


ASSUMPTIONS = {
    "ancova": "Endline regressed on baseline and group: removes the part of the gain explained "
    "by a low start (regression to the mean); assumes a common linear slope. Recommended.",
    "z_difference": "The paper's test: large-sample normal approximation of the difference in "
    "mean change; unreliable with few institutions.",
    "z_within_focus": "The paper's before/after test within the focus group (does the mean "
    "change exceed 0?); says nothing about the comparison group.",
    "z_within_comparison": "The same before/after test within the comparison group.",
    "welch_t": "Difference in mean change, t distribution with unequal variances; assumes "
    "roughly normal changes.",
    "permutation": "Exact or Monte-Carlo re-labelling of groups; assumes only that labels are "
    "exchangeable under no effect.",
    "bootstrap_percentile": "95% interval for the difference by resampling institutions; "
    "assumes the sample represents its group.",
    "did_weekly_panel": "Difference-in-differences on 13-week mean coverage before and after; "
    "assumes both groups would have moved in parallel without the programme; standard error "
    "clustered by district.",
    "did_monthly_panel": "DHIS2 topics: difference-in-differences on each institution's value "
    "over the 3 months ending at the baseline and at the endline month (Σnumerator / "
    "Σdenominator where DHIS2 gives them); assumes parallel trends; standard error clustered "
    "by institution.",
    "group_relative_decline": "Uninsured share: relative decline (ū0 − ū1)/ū0 of the group "
    "means, as in the paper (positive = fewer uninsured); the difference is in percentage "
    "points of that decline; interval by resampling districts, p-value by re-labelling groups; "
    "not baseline-adjusted.",
}


def _fmt(value: object, digits: int = 2) -> str:
    return number_cell(value, digits)


def _p(value: object) -> str:
    if not isinstance(value, float) or math.isnan(value):
        return "–"
    return "< 0.001" if value < 0.001 else f"{value:.3f}"


def _group_table(groups: pd.DataFrame, unit: str, change_unit: str = "pp") -> list[str]:
    lines = [
        f"| group | institutions | excluded | baseline mean ({unit}) | endline mean ({unit}) "
        f"| mean change ({change_unit}) | improved % | unchanged % | declined % |",
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


def _test_table(tests: pd.DataFrame, change_unit: str = "pp") -> list[str]:
    lines = [
        f"| method | estimate ({change_unit}) | test statistic | p (one-sided) "
        f"| 95% interval ({change_unit}) | note |",
        "|---|---:|---:|---:|---:|---|",
    ]
    for row in tests.itertuples():
        ci = (
            f"{_fmt(row.ci_low_pp)} to {_fmt(row.ci_high_pp)}"
            if not (isinstance(row.ci_low_pp, float) and math.isnan(row.ci_low_pp))
            else "–"
        )
        name = method_name(str(row.method))
        if row.method == RECOMMENDED:
            name += " — recommended"
        lines.append(
            f"| {name} | {_fmt(row.estimate_pp)} | {_fmt(row.statistic)} "
            f"| {_p(row.p_value)} | {ci} | {row.note or ''} |"
        )
    return lines


def _names(institutions: pd.DataFrame, is_focus: bool) -> str:
    rows = institutions[institutions["is_focus"] == is_focus]
    column = "institution_name" if "institution_name" in rows else "institution_id"
    return ", ".join(sorted(str(n) for n in rows[column].fillna(rows["institution_id"])))


def comparison_blocks(run: EvaluationRun, trajectories: pd.DataFrame | None) -> list[Block]:
    """One section per comparison of ``run``: its title, the difference in mean change and the
    ANCOVA estimate (percentage points, pp), the group and test tables, warnings, the focus
    and comparison institutions by name, a slope plot and a plot of the changes.

    ``trajectories`` (one row per report date × focus/other × measure × fiscal year, columns
    ``report_date``, ``is_focus``, ``measure``, ``fiscal_year``, ``coverage_pct`` in % as
    :func:`tpn_metrics.evaluation.datasets.coverage_trajectories` returns them) adds the
    weekly CBHI coverage chart to the reported-coverage comparison; None leaves it out.
    Images are rendered only when the blocks are turned into HTML.
    """
    blocks: list[Block] = []
    for comparison_id, dataset, c in run.comparisons:
        groups = run.groups[run.groups["comparison_id"] == comparison_id]
        tests = run.tests[run.tests["comparison_id"] == comparison_id]
        institutions = run.institutions[run.institutions["comparison_id"] == comparison_id]
        title = comparison_title(comparison_id, dataset)
        short, long = difference_words(dataset)
        named = f"{long} (pp)" if short == "pp" else long
        direction = (
            ""
            if dataset.higher_is_better
            else " Lower is better here: an improvement is a fall, so a negative difference "
            "favours the focus group and the one-sided tests ask whether its value fell more."
        )
        blocks += [
            Block("h2", title),
            Block(
                "p",
                f"{dataset.unit}, {dataset.baseline_label} → {dataset.endline_label}. "
                f"Difference in mean change, focus − comparison: {_fmt(c.difference_pp)} "
                f"{named}; baseline-adjusted (ANCOVA, recommended): "
                f"{_fmt(c.adjusted.estimate_pp)} {short}.{direction}",
            ),
            Block("table", lines=tuple(_group_table(groups, dataset.unit, short))),
            Block("table", lines=tuple(_test_table(tests, short))),
            *(Block("warn", w) for w in c.warnings),
            Block("p", f"Focus: {_names(institutions, True)}."),
            Block("p", f"Comparison: {_names(institutions, False)}."),
            Block(
                "img",
                f"before/after by institution, {title}",
                png=partial(slope_plot_png, institutions, title, dataset.unit),
            ),
            Block(
                "img",
                f"distribution of changes, {title}",
                png=partial(changes_plot_png, institutions, f"Distribution of changes, {title}"),
            ),
        ]
        if comparison_id == "cbhi_coverage_reported" and trajectories is not None:
            blocks += [
                Block(
                    "img", "weekly CBHI coverage", png=partial(trajectories_plot_png, trajectories)
                ),
                Block("caption", FISCAL_YEAR_RESET),
            ]
    return blocks


def report_blocks(
    run: EvaluationRun,
    sections: Sequence[ReportSection] = (),
    trajectories: pd.DataFrame | None = None,
) -> list[Block]:
    """The whole report, top to bottom: summary, comparisons (see :func:`comparison_blocks`
    for ``trajectories``), uninsured share, the paper's figures, the ``sections`` other parts
    contribute (corrections, twinning) in the given order, then the methods' assumptions."""
    blocks = [
        *summary_blocks(run, headlines(run)),
        *comparison_blocks(run, trajectories),
        *uninsured_blocks(run),
        *paper_blocks(run),
        *(Block("raw", s.markdown, html=s.html) for s in sections),
        Block("h2", "Methods and their assumptions"),
        Block(
            "ul",
            lines=tuple(f"{method_name(name)}: {text}" for name, text in ASSUMPTIONS.items()),
        ),
    ]
    return blocks


def render_markdown(run: EvaluationRun, sections: Sequence[ReportSection] = ()) -> str:
    """The report as Markdown (for the Prefect artifact): the title, then every block of
    :func:`report_blocks` except images, which Markdown leaves out (no plotting is done)."""
    return f"# {TITLE}\n\n" + to_markdown(report_blocks(run, sections))


STYLE = (
    "body{font-family:system-ui,sans-serif;max-width:64rem;margin:2rem auto;padding:0 1rem;"
    "color:#222;line-height:1.45}"
    "table{border-collapse:collapse;margin:1rem 0;max-width:100%;font-size:.92rem}"
    "td,th{border:1px solid #ccc;padding:.3rem .5rem;text-align:right;vertical-align:top;"
    "overflow-wrap:break-word}"
    "th{background:#f3f3f3}"
    "img{max-width:100%;height:auto;display:block;margin:1rem 0}"
    ".lead{font-size:1.1rem}"
    ".caption{color:#555;font-size:.9rem;margin-top:-.5rem}"
    ".warn{background:#fff4e0;border-left:4px solid #e6a100;padding:.5rem 1rem}"
    "h2{border-bottom:1px solid #ddd;padding-bottom:.2rem;margin-top:2rem}"
)


def render_html(
    run: EvaluationRun,
    sections: Sequence[ReportSection] = (),
    trajectories: pd.DataFrame | None = None,
) -> str:
    """The report as one self-contained HTML page (UTF-8 text; plots inlined as PNG data
    URIs), from the same blocks as :func:`render_markdown`; ``trajectories`` as in
    :func:`comparison_blocks`."""
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>{TITLE}</title><style>{STYLE}</style></head><body>\n"
        f"<h1>{TITLE}</h1>\n"
        + to_html(report_blocks(run, sections, trajectories))
        + "\n</body></html>"
    )
