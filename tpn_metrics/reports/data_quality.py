"""The evaluation report's "Data quality" section: the latest week's district × dimension
scorecard as a colour grid (PNG) and table, the flagged values with their context, and the
accreditation surveys' flags. Built from :func:`tpn_metrics.quality.review.week_review`, the
same review the district emails and ``tpn dq`` show.

Colours are Okabe & Ito's colour-blind-safe palette (sky blue = ok, vermillion = flagged,
grey = not applicable), and every flagged cell carries its count and every not-applicable
cell a dash, so the grid reads without colour too.
"""

from __future__ import annotations

import duckdb
from matplotlib.figure import Figure
from matplotlib.patches import Patch, Rectangle

from tpn_metrics.emails.quality_line import data_quality_line, unusual_value_text
from tpn_metrics.figures import RENDER_LOCK, png_bytes
from tpn_metrics.quality.marts import has_quality_marts, report_dates
from tpn_metrics.quality.records import DIMENSION_TITLES, Dimension, Flag, Status, WeekReview
from tpn_metrics.quality.review import week_review
from tpn_metrics.reports.evaluation_report import ReportSection
from tpn_metrics.reports.report_blocks import Block, to_html, to_markdown

STATUS_COLOURS: dict[Status, str] = {
    "ok": "#56B4E9",  # sky blue (Okabe & Ito 2008)
    "flagged": "#D55E00",  # vermillion
    "not_applicable": "#DDDDDD",  # light grey
}
STATUS_WORDS: dict[Status, str] = {
    "ok": "ok",
    "flagged": "flagged",
    "not_applicable": "not applicable",
}
TITLE = "Data quality"


def scorecard_png(review: WeekReview) -> bytes:
    """The review's scorecard as a PNG grid: one row per district (by name), one column per
    DQR dimension; flagged cells show their number of flags, not-applicable cells "–"."""
    dimensions = list(Dimension)
    districts = review.districts
    with RENDER_LOCK:
        height = 1.6 + 0.26 * max(len(districts), 1)
        figure = Figure(figsize=(8.0, height), dpi=100)
        axes = figure.add_subplot()
        for y, district in enumerate(districts):
            for x, dimension in enumerate(dimensions):
                cell = district.cell(dimension)
                axes.add_patch(
                    Rectangle(
                        (x, y), 1, 1, facecolor=STATUS_COLOURS[cell.status], edgecolor="white"
                    )
                )
                mark = str(cell.flags) if cell.status == "flagged" else ""
                mark = "–" if cell.status == "not_applicable" else mark
                colour = "white" if cell.status == "flagged" else "#333333"
                axes.text(
                    x + 0.5, y + 0.5, mark, ha="center", va="center", fontsize=8, color=colour
                )
        axes.set_xlim(0, len(dimensions))
        axes.set_ylim(len(districts), 0)
        axes.set_xticks([x + 0.5 for x in range(len(dimensions))])
        axes.set_xticklabels(
            [DIMENSION_TITLES[d].replace(" ", "\n", 1) for d in dimensions], fontsize=8
        )
        axes.xaxis.tick_top()
        axes.set_yticks([y + 0.5 for y in range(len(districts))])
        axes.set_yticklabels([d.district_name for d in districts], fontsize=8)
        axes.tick_params(length=0)
        for spine in axes.spines.values():
            spine.set_visible(False)
        axes.legend(
            handles=[
                Patch(facecolor=colour, label=STATUS_WORDS[status])
                for status, colour in STATUS_COLOURS.items()
            ],
            loc="upper center",
            bbox_to_anchor=(0.5, -0.01),
            ncol=3,
            fontsize=8,
            frameon=False,
        )
        figure.suptitle(
            f"Data quality of RSSB's report of {review.report_date} (WHO DQR dimensions)",
            fontsize=10,
        )
        figure.tight_layout()
        return png_bytes(figure)


def _cell(review: WeekReview, district_index: int, dimension: Dimension) -> str:
    cell = review.districts[district_index].cell(dimension)
    if cell.status == "flagged":
        return f"flagged ({cell.flags})"
    return STATUS_WORDS[cell.status]


def _flag_row(flag: Flag, names: dict[str, str]) -> str:
    district = names.get(flag.district_id or "", flag.district_id or "–")
    return (
        f"| {district} | {DIMENSION_TITLES[flag.dimension]} | {unusual_value_text(flag)} "
        f"| {flag.detail} |"
    )


def review_blocks(review: WeekReview) -> list[Block]:
    """The section's blocks for one week's review (heading, summary, grid, tables)."""
    names = {d.district_id: d.district_name for d in review.districts}
    flags = review.flags
    in_file = "–" if review.districts_in_file is None else str(review.districts_in_file)
    blocks = [
        Block("h2", TITLE),
        Block(
            "lead",
            f"RSSB's report of {review.report_date}: {in_file} of {review.expected_districts} "
            f"districts in the file, {len(flags)} flagged value(s) in "
            f"{sum(1 for d in review.districts if d.flags)} district(s). Dimensions and "
            "thresholds are WHO's Data Quality Review's (dbt vars, docs/data_quality.md).",
        ),
        Block(
            "img",
            f"Data-quality scorecard of {review.report_date}",
            png=lambda: scorecard_png(review),
        ),
        Block(
            "caption",
            "Sky blue: ok; vermillion: flagged (the number of flags); grey with a dash: not "
            "applicable (no measure that week, e.g. a backfilled file has no timeliness).",
        ),
        Block(
            "table",
            lines=(
                "| district | " + " | ".join(DIMENSION_TITLES[d] for d in Dimension) + " |",
                "|---|" + "---|" * len(Dimension),
                *(
                    f"| {d.district_name} | "
                    + " | ".join(_cell(review, i, dim) for dim in Dimension)
                    + " |"
                    for i, d in enumerate(review.districts)
                ),
            ),
        ),
        Block("h3", f"Flagged values ({len(flags)})"),
    ]
    if flags:
        blocks.append(
            Block(
                "table",
                lines=(
                    "| district | dimension | flagged value | context |",
                    "|---|---|---|---|",
                    *(_flag_row(flag, names) for flag in flags),
                ),
            )
        )
        blocks.append(Block("h3", "What each district's email says"))
        blocks.append(
            Block(
                "ul",
                lines=tuple(
                    f"{d.district_name}: {data_quality_line(d)}"
                    for d in review.districts
                    if d.flags
                ),
            )
        )
    else:
        blocks.append(Block("p", "No value was flagged this week."))
    if review.accreditation_flags:
        blocks += [
            Block("h3", f"Accreditation surveys ({len(review.accreditation_flags)} flagged)"),
            Block(
                "table",
                lines=(
                    "| survey | hospital | dimension | context |",
                    "|---:|---|---|---|",
                    *(
                        f"| {f.survey_year} | {f.hospital_id or '–'} | "
                        f"{DIMENSION_TITLES[f.dimension]} | {f.detail} |"
                        for f in review.accreditation_flags
                    ),
                ),
            ),
        ]
    return blocks


def data_quality_section(con: duckdb.DuckDBPyConnection) -> ReportSection:
    """The report's section for the latest RSSB week the data-quality marts hold; when the
    marts are absent or empty, a section saying so (and how to build them)."""
    dates = report_dates(con)
    if not has_quality_marts(con) or not dates:
        reason = (
            "the data-quality marts (marts.fct_dq_cbhi_district_reports, marts.fct_dq_flags) "
            + ("are not in the warehouse" if not has_quality_marts(con) else "are empty")
        )
        blocks = [
            Block("h2", TITLE),
            Block("warn", f"No data-quality review: {reason}; run the dbt build."),
        ]
    else:
        blocks = review_blocks(week_review(con, dates[-1]))
    return ReportSection(markdown=to_markdown(blocks), html=to_html(blocks))
