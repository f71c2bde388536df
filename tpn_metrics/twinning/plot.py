"""The network picture and the report section.

Two circles of the same institutions (grouped by province, DHMTs then hospitals): the pairs
chosen at the launch workshop, and the pairs recommended from the metrics. An arrow runs from
the shining teacher to the rising learner, coloured by topic; a dashed arrow is a chosen pair
whose shining partner does worse on the topic's metric.
"""

from __future__ import annotations

import html
import math
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import FancyArrowPatch

from tpn_metrics.figures import RENDER_LOCK, img_tag, png_bytes
from tpn_metrics.reports.markdown_tables import markdown_table_html, number_cell
from tpn_metrics.twinning.geography import PROVINCES

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from tpn_metrics.reports.evaluation_report import ReportSection
    from tpn_metrics.twinning.warehouse import TwinningRun

#: Colour-blind-safe palette (Okabe–Ito, then Tableau), assigned to topics in sorted order.
PALETTE = (
    "#0072B2",
    "#D55E00",
    "#009E73",
    "#CC79A7",
    "#E69F00",
    "#56B4E9",
    "#000000",
    "#8c564b",
    "#7f7f7f",
    "#bcbd22",
)
#: Institution names at 110 dpi: 9 pt is about 14 px, readable in the report at full width.
_NAME_FONT_SIZE = 9
_SHORTEN = ((" District Hospital", " DH"), (" Hospital", ""), (" DHMT", ""))


def short_name(name: str) -> str:
    """The name as drawn on the network: "Kibagabaga District Hospital" → "Kibagabaga DH",
    a trailing " Hospital" or " DHMT" dropped; other names unchanged."""
    for long, short in _SHORTEN:
        if name.endswith(long):
            return name[: -len(long)] + short
    return name


def topic_colours(topics: list[str]) -> dict[str, str]:
    """Topic → hex colour of :data:`PALETTE`, assigned in sorted order of the distinct topics
    (cycling after ten), so a topic keeps its colour whatever the order of the rows."""
    return {topic: PALETTE[i % len(PALETTE)] for i, topic in enumerate(sorted(set(topics)))}


def circle_layout(institutions: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, float]]:
    """Positions on the unit circle, grouped by province (one empty slot between provinces).

    Returns the institutions with x, y, angle, in drawing order, and each province's mid angle.
    """
    order = {p: i for i, p in enumerate(PROVINCES)}
    frame = institutions.assign(
        _province_order=institutions["province"].map(order).fillna(len(order)),
        _kind_order=(institutions["institution_kind"] != "district").astype(int),
    ).sort_values(["_province_order", "_kind_order", "institution_id"], kind="mergesort")
    provinces = list(dict.fromkeys(frame["province"]))
    slots = len(frame) + len(provinces)
    angles: list[float] = []
    slot = 0
    for province in provinces:
        for _ in range(int((frame["province"] == province).sum())):
            angles.append(math.pi / 2 - 2 * math.pi * slot / max(slots, 1))
            slot += 1
        slot += 1
    frame = frame.assign(angle=angles, x=np.cos(angles), y=np.sin(angles))
    mids = {p: float(frame.loc[frame["province"] == p, "angle"].mean()) for p in provinces}
    return frame.drop(columns=["_province_order", "_kind_order"]).reset_index(drop=True), mids


def _draw_panel(
    ax: Axes,
    nodes: pd.DataFrame,
    province_angles: dict[str, float],
    edges: pd.DataFrame,
    colours: dict[str, str],
    title: str,
) -> None:
    position = {r.institution_id: (r.x, r.y) for r in nodes.itertuples()}
    for edge in edges.itertuples():
        if edge.source_institution_id not in position or edge.target_institution_id not in position:
            continue
        worse = not pd.isna(edge.is_shining_better) and not bool(edge.is_shining_better)
        ax.add_patch(
            FancyArrowPatch(
                position[edge.source_institution_id],
                position[edge.target_institution_id],
                arrowstyle="-|>",
                mutation_scale=8,
                connectionstyle="arc3,rad=0.18",
                color=colours[edge.topic],
                linewidth=1.3,
                linestyle=(0, (3, 2)) if worse else "-",
                alpha=0.85,
                shrinkA=4,
                shrinkB=5,
            )
        )
    for kind, marker in (("district", "o"), ("hospital", "s")):
        subset = nodes.loc[nodes["institution_kind"] == kind]
        ax.scatter(
            subset["x"], subset["y"], s=28, marker=marker, color="#f7f7f7",
            edgecolor="#333333", linewidth=0.8, zorder=3,
        )  # fmt: skip
    for node in nodes.itertuples():
        degrees = math.degrees(node.angle)
        flip = 90 < (degrees % 360) < 270
        ax.text(
            1.07 * node.x,
            1.07 * node.y,
            short_name(str(node.institution_name)),
            rotation=degrees + (180 if flip else 0),
            rotation_mode="anchor",
            ha="right" if flip else "left",
            va="center",
            fontsize=_NAME_FONT_SIZE,
        )
    for province, angle in province_angles.items():
        ax.text(
            1.68 * math.cos(angle),
            1.68 * math.sin(angle),
            province,
            ha="center",
            va="center",
            fontsize=11,
            fontweight="bold",
            color="#555555",
        )
    ax.set_title(title, fontsize=12)
    ax.set_xlim(-1.85, 1.85)
    ax.set_ylim(-1.85, 1.85)
    ax.set_aspect("equal")
    ax.axis("off")


def network_png(network: pd.DataFrame, institutions: pd.DataFrame) -> bytes:
    """PNG of the network over the given institutions: two circles (pairs chosen at the
    launch workshop, pairs recommended from the metrics), arrows from shining to rising, one
    colour per topic, dashed where the shining partner does worse on the latest values.

    ``network``: ``twinning.fct_twinning_network`` rows (``origin``, ``topic``, source and
    target institution ids, ...); ``institutions``: one row per institution with
    institution_id, institution_name, institution_kind, province (placed by
    :func:`circle_layout`).
    """
    nodes, province_angles = circle_layout(institutions)
    colours = topic_colours(list(network["topic"]))
    with RENDER_LOCK:
        figure = Figure(figsize=(15, 8.2), dpi=110)
        axes = figure.subplots(1, 2)
        for ax, origin, label in zip(
            axes,
            ("chosen", "recommended"),
            ("Chosen at the launch workshop", "Recommended from the metrics"),
            strict=True,
        ):
            edges = network.loc[network["origin"] == origin]
            topics = sorted(set(edges["topic"]))
            _draw_panel(
                ax,
                nodes,
                province_angles,
                edges,
                colours,
                f"{label}\n{len(edges)} pairs, {len(topics)} topic(s)",
            )
        handles = [
            Line2D([], [], color=colour, linewidth=2, label=topic.replace("_", " "))
            for topic, colour in colours.items()
        ]
        handles += [
            Line2D([], [], color="#333333", linestyle=(0, (3, 2)),
                   label="shining does worse (latest values)"),
            Line2D([], [], marker="o", linestyle="", markerfacecolor="#f7f7f7",
                   markeredgecolor="#333333", label="DHMT"),
            Line2D([], [], marker="s", linestyle="", markerfacecolor="#f7f7f7",
                   markeredgecolor="#333333", label="hospital"),
        ]  # fmt: skip
        figure.legend(
            handles=handles, loc="lower center", ncol=min(len(handles), 7), fontsize=10,
            frameon=False,
        )  # fmt: skip
        figure.suptitle(
            "Twinning pairs: arrow from the shining teacher to the rising learner", fontsize=14
        )
        figure.subplots_adjust(left=0.01, right=0.99, top=0.89, bottom=0.08, wspace=0.02)
        return png_bytes(figure)


def save_network_png(network: pd.DataFrame, institutions: pd.DataFrame, path: Path) -> Path:
    """Write :func:`network_png` to ``path`` (parent folders created, file replaced) and
    return ``path``; OSError when it cannot be written."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(network_png(network, institutions))
    return path


# ---------------------------------------------------------------- report section


def _fmt(value: object, digits: int = 1) -> str:
    return number_cell(value, digits)


def _text(value: object) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return str(value)


def _summary_lines(run: TwinningRun) -> list[str]:
    lines = [
        "| topic | metric | rising | recommended | unmatched | mean gap, ours "
        "| chosen pairs | chosen: shining worse (now / at launch) | mean gap, chosen "
        "| same as ours |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in run.result.summary.itertuples():
        lines.append(
            f"| {row.topic} | {row.metric} | {row.rising_institutions} "
            f"| {row.recommended_pairs} | {row.unmatched_rising} "
            f"| {_fmt(row.recommended_mean_gap)} | {row.chosen_pairs} "
            f"| {row.chosen_shining_worse} of {row.chosen_pairs_measured} / "
            f"{row.chosen_shining_worse_at_launch} of {row.chosen_pairs_measured_at_launch} "
            f"| {_fmt(row.chosen_mean_gap)} | {row.agreement} |"
        )
    return lines


def _worse_lines(run: TwinningRun, limit: int = 12) -> list[str]:
    primary = {m.key for m in run.result.metrics if m.primary}
    assessed = run.result.assessed
    worse = assessed.loc[
        [
            (t, m) in primary and g is not None and not pd.isna(g) and g < 0
            for t, m, g in zip(assessed["topic"], assessed["metric"], assessed["gap"], strict=True)
        ]
    ].sort_values(["topic", "gap"], kind="mergesort")
    if worse.empty:
        return []
    lines = [
        "| topic | rising | chosen shining | rising value | shining value | at launch "
        "| rising's role now | recommended now |",
        "|---|---|---|---:|---:|---|---|---|",
    ]
    for row in worse.head(limit).itertuples():
        then = row.is_shining_better_at_launch
        at_launch = "–" if pd.isna(then) else ("shining better" if then else "shining worse")
        lines.append(
            f"| {row.topic} | {row.rising_institution_name} | {row.shining_institution_name} "
            f"| {_fmt(row.rising_value)} | {_fmt(row.shining_value)} | {at_launch} "
            f"| {_text(row.rising_role)} | {_text(row.recommended_shining_institution_name)} |"
        )
    if len(worse) > limit:
        lines.append(
            f"| … and {len(worse) - limit} more (twinning.fct_twinning_chosen_pairs_assessed) "
            "| | | | | | | |"
        )
    return lines


def _intro(run: TwinningRun) -> str:
    labels = "; ".join(f"{m.metric}: {m.label}" for m in run.result.metrics if m.label)
    return (
        "Each topic with a metric splits every peer group (hospitals by category, DHMTs by "
        "province and urban/rural) into rising (by default the bottom third), middle and "
        "shining (the top third). Each rising institution is then offered a shining partner "
        "by a capacity-capped assignment that favours a large gap, the same peer group and "
        "a short distance, and gives precedence to stated priorities and strengths; nobody "
        "is paired with a worse performer. Below, the recommendations beside the pairs "
        "chosen at the launch workshop, judged on the latest values and on those at the "
        "launch (gaps in the metric's unit of difference, pp for percentages). "
        f"Metrics: {labels}. Method: docs/twinning.md."
    )


def report_markdown(run: TwinningRun) -> str:
    """The twinning section of the evaluation report, in Markdown (image linked by name)."""
    lines = ["## Twinning: rising and shining institutions", "", _intro(run), ""]
    lines += _summary_lines(run)
    worse = _worse_lines(run)
    if worse:
        lines += ["", "Chosen pairs whose shining partner does worse on the metric:", ""]
        lines += worse
    lines += ["", f"![Twinning network]({run.png_path.name})"]
    return "\n".join(lines) + "\n"


def report_html(run: TwinningRun) -> str:
    """The same section as HTML, the network PNG embedded (the report is one file)."""
    parts = [
        "<h2>Twinning: rising and shining institutions</h2>",
        f"<p>{html.escape(_intro(run))}</p>",
        markdown_table_html(_summary_lines(run)),
    ]
    worse = _worse_lines(run)
    if worse:
        parts += [
            "<p>Chosen pairs whose shining partner does worse on the metric:</p>",
            markdown_table_html(worse),
        ]
    if run.png_path.exists():
        parts.append(
            img_tag(
                run.png_path.read_bytes(),
                "twinning network, chosen and recommended pairs",
                style="max-width:100%",
            )
        )
    return "\n".join(parts)


def report_section(run: TwinningRun) -> ReportSection:
    """The section for :func:`tpn_metrics.reports.evaluation_report.render_html` /
    ``render_markdown`` (their ``sections`` argument)."""
    from tpn_metrics.reports.evaluation_report import ReportSection

    return ReportSection(markdown=report_markdown(run), html=report_html(run))
