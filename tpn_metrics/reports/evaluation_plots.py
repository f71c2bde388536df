"""The evaluation report's figures, as PNG bytes (see :mod:`tpn_metrics.figures`).

Each figure says in its own labels what a reader needs: units on the axes, and on the weekly
coverage chart why the lines drop to zero each July (the fiscal year restarts).
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
from matplotlib.figure import Figure

from tpn_metrics.calendar import fiscal_year_starts_between
from tpn_metrics.figures import RENDER_LOCK, png_bytes

FISCAL_YEAR_RESET = (
    "CBHI membership is paid per fiscal year (1 July – 30 June): on 1 July every district "
    "starts again from zero paid members, so weekly coverage falls to about zero and climbs "
    "back during the year."
)


def slope_plot_png(institutions: pd.DataFrame, title: str, unit: str) -> bytes:
    """Per-institution before/after lines by group: the picture behind the mean change.

    ``institutions``: one row per institution of one comparison, columns ``is_focus``,
    ``baseline`` and ``endline`` (in ``unit``, the y-axis label; rows missing either are
    left out). Returns a two-panel PNG (focus, comparison), each with its group mean.
    """
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
    """Each institution's change as a dot, by group, over a box of the middle half.

    ``institutions``: one row per institution, columns ``is_focus`` and ``change``
    (endline − baseline, percentage points; NaN left out). Returns a PNG, zero marked.
    """
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


def fiscal_year_starts(days: pd.Series) -> list[dt.date]:
    """Every 1 July strictly inside the span of ``days`` (dates): where coverage restarts."""
    dates = pd.to_datetime(days)
    if dates.empty:
        return []
    return fiscal_year_starts_between(dates.min().date(), dates.max().date())


def trajectories_plot_png(trajectories: pd.DataFrame) -> bytes:
    """Mean weekly CBHI coverage of focus vs other districts, reported and corrected, with
    each fiscal-year restart (1 July) marked and explained on the chart."""
    with RENDER_LOCK:
        figure = Figure(figsize=(8.5, 4.2), dpi=100)
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
        top = float(trajectories["coverage_pct"].max()) if len(trajectories) else 100.0
        for i, start in enumerate(fiscal_year_starts(trajectories["report_date"])):
            ax.axvline(pd.Timestamp(start), color="#777777", lw=1, ls="--")
            ax.annotate(
                "1 July: new fiscal year,\npaid members restart at 0" if i == 0 else "1 July",
                xy=(pd.Timestamp(start), top * 0.4),
                xytext=(-6, 0),
                ha="right",
                textcoords="offset points",
                fontsize=8,
                color="#333333",
                bbox={"boxstyle": "round,pad=0.2", "facecolor": "white", "edgecolor": "none"},
            )
        ax.set_ylabel("mean coverage (% of target population)", fontsize=8)
        ax.set_title(
            "CBHI coverage by week, districts focused on enrolment vs the others\n"
            "(coverage counts members paid for the current fiscal year, July to June)",
            fontsize=10,
        )
        ax.legend(fontsize=8, ncol=4, loc="upper center", bbox_to_anchor=(0.5, -0.12))
        ax.grid(alpha=0.3)
        figure.tight_layout()
        return png_bytes(figure)
