"""Reported vs census-corrected CBHI coverage, for people: a table and a chart.

The correction is never shown alone: every row carries RSSB's reported figure beside the
corrected one and the method, sorted by how much the correction moves the district.
"""

from __future__ import annotations

import datetime as dt
import html

import duckdb
import pandas as pd
from matplotlib.figure import Figure

from tpn_metrics.figures import RENDER_LOCK, img_tag, png_bytes


def latest_corrections(
    con: duckdb.DuckDBPyConnection, report_date: dt.date | None = None
) -> pd.DataFrame:
    """One row per district for a report date (default: the latest), sorted by the size of
    the correction (|corrected − reported|, in percentage points), largest first."""
    frame = con.execute(
        """
        with chosen as (
            select coalesce(?::date, max(report_date)) as report_date
            from marts.fct_cbhi_coverage_corrected
        )
        select
            corrected.district_id,
            districts.district_name,
            districts.province,
            corrected.report_date,
            corrected.rssb_target_population,
            corrected.corrected_target_central,
            corrected.members_paid,
            corrected.coverage_reported_pct,
            corrected.coverage_corrected_pct,
            corrected.coverage_corrected_low_pct,
            corrected.coverage_corrected_high_pct,
            corrected.correction_method,
            corrected.is_target_stale,
            corrected.is_reported_over_100,
            corrected.is_projection_too_low
        from marts.fct_cbhi_coverage_corrected as corrected
        inner join chosen using (report_date)
        inner join marts.dim_district as districts using (district_id)
        """,
        [report_date],
    ).df()
    frame["correction_pp"] = frame["coverage_corrected_pct"] - frame["coverage_reported_pct"]
    order = frame["correction_pp"].abs().sort_values(ascending=False).index
    return frame.loc[order].reset_index(drop=True)


def corrections_chart_png(frame: pd.DataFrame) -> bytes:
    """Dumbbell chart: reported (grey) → corrected (blue) with the method's range, per district."""
    with RENDER_LOCK:
        height = 0.28 * len(frame) + 1.2
        figure = Figure(figsize=(7.5, height), dpi=100)
        ax = figure.subplots()
        y = list(range(len(frame)))[::-1]
        ax.hlines(
            y,
            frame["coverage_reported_pct"],
            frame["coverage_corrected_pct"],
            color="#bbbbbb",
            lw=2,
        )
        ax.hlines(
            y,
            frame["coverage_corrected_low_pct"],
            frame["coverage_corrected_high_pct"],
            color="#2c7fb8",
            lw=6,
            alpha=0.3,
            label="corrected, range of methods",
        )
        ax.scatter(
            frame["coverage_reported_pct"], y, color="#777777", zorder=3, label="reported by RSSB"
        )
        ax.scatter(
            frame["coverage_corrected_pct"],
            y,
            color="#2c7fb8",
            zorder=3,
            label="corrected (geometric projection)",
        )
        ax.axvline(100, color="#c0392b", lw=1, ls="--")
        ax.set_yticks(y, frame["district_name"])
        ax.set_xlabel("CBHI coverage (% of target population)")
        day = pd.Timestamp(frame["report_date"].iloc[0]).date() if len(frame) else ""
        ax.set_title(f"Reported vs census-corrected coverage, {day}", fontsize=11)
        ax.legend(loc="lower right", fontsize=8)
        ax.grid(axis="x", alpha=0.3)
        figure.tight_layout()
        return png_bytes(figure)


def _flags(row: pd.Series) -> str:
    flags = []
    if row["is_reported_over_100"]:
        flags.append("reported > 100 %")
    if row["is_target_stale"]:
        flags.append("RSSB target stale")
    if row["is_projection_too_low"]:
        flags.append("projection below members paid")
    return ", ".join(flags)


def corrections_markdown(frame: pd.DataFrame) -> str:
    """The corrections table in Markdown: one row per district of ``frame`` (rows of
    ``marts.fct_cbhi_coverage_corrected`` for one week); coverage in %, correction in pp."""
    lines = [
        "## Reported vs corrected CBHI coverage",
        "",
        "RSSB's target populations come from old projections. The corrected coverage divides "
        "the same members paid by a target re-projected from the 2012 and 2022 censuses "
        "(geometric, central; the range spans linear to geometric). Sorted by the size of the "
        "correction, in percentage points (pp).",
        "",
        "| district | members paid | RSSB target | reported % | corrected % (range) "
        "| correction (pp) | flags |",
        "|---|---:|---:|---:|---:|---:|---|",
    ]
    for _, row in frame.iterrows():
        lines.append(
            f"| {row['district_name']} | {row['members_paid']:,} "
            f"| {row['rssb_target_population']:,} | {row['coverage_reported_pct']:.1f} "
            f"| {row['coverage_corrected_pct']:.1f} ({row['coverage_corrected_low_pct']:.1f}–"
            f"{row['coverage_corrected_high_pct']:.1f}) | {row['correction_pp']:+.1f} "
            f"| {_flags(row)} |"
        )
    return "\n".join(lines) + "\n"


def corrections_html(frame: pd.DataFrame) -> str:
    """The same table as :func:`corrections_markdown` in HTML, after the reported-vs-corrected
    chart (an inline PNG)."""
    chart = img_tag(corrections_chart_png(frame), "reported vs corrected coverage by district")
    rows = "".join(
        "<tr>"
        f"<td style='text-align:left'>{html.escape(str(row['district_name']))}</td>"
        f"<td>{row['members_paid']:,}</td><td>{row['rssb_target_population']:,}</td>"
        f"<td>{row['coverage_reported_pct']:.1f}</td>"
        f"<td>{row['coverage_corrected_pct']:.1f} ({row['coverage_corrected_low_pct']:.1f}–"
        f"{row['coverage_corrected_high_pct']:.1f})</td>"
        f"<td>{row['correction_pp']:+.1f}</td>"
        f"<td style='text-align:left'>{html.escape(_flags(row))}</td></tr>"
        for _, row in frame.iterrows()
    )
    return (
        "<h2>Reported vs corrected CBHI coverage</h2>"
        "<p>RSSB's target populations come from old projections. The corrected coverage divides "
        "the same members paid by a target re-projected from the 2012 and 2022 censuses "
        "(<b>geometric</b> projection, central; the range spans linear to geometric), less the "
        "share covered by other schemes. Sorted by the size of the correction, in percentage "
        "points (pp).</p>"
        f"{chart}"
        "<table><thead><tr><th style='text-align:left'>district</th><th>members paid</th>"
        "<th>RSSB target</th>"
        "<th>reported %</th><th>corrected % (range)</th><th>correction (pp)</th>"
        f"<th style='text-align:left'>flags</th></tr></thead><tbody>{rows}</tbody></table>"
    )
