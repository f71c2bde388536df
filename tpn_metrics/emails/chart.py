"""Small weekly-coverage chart embedded in the district email.

Rendered with the object-oriented Matplotlib API on an Agg canvas so that no
pyplot figure registry (global state) is touched and nothing needs a display.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Any

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import FixedLocator, PercentFormatter
from matplotlib.transforms import Bbox

from tpn_metrics.calendar import week_of_fiscal_year
from tpn_metrics.figures import RENDER_LOCK, drawn_png_bytes

WIDTH_PX = 600
HEIGHT_PX = 300
_DPI = 100
_WEEKS_IN_YEAR = 52.2
# About what fits on one title line at 10 pt across 600 px; Kinyarwanda and French
# titles, or a long district name, would otherwise run off the image.
_TITLE_WRAP_CHARS = 72
# Markers of a series with few points (a fiscal year's first Fridays) are drawn larger: a
# single point has no line, and a 2.5 pt dot would vanish against last year's line.
_MARKER_PT = 2.5
_FEW_POINTS_MARKER_PT = 6.0
_FEW_POINTS = 3


def _marker_size(xs: Sequence[float]) -> float:
    return _FEW_POINTS_MARKER_PT if len(xs) < _FEW_POINTS else _MARKER_PT


THIS_FY_COLOUR = "#1b6ca8"  # the primary series: census-corrected when there is one
REPORTED_COLOUR = "#d55e00"  # RSSB's reported coverage beside it (Okabe-Ito vermillion)
_LAST_FY_COLOUR = "#8c8c8c"
_REFERENCE_COLOUR = "#c8c8c8"


def _xy(points: Sequence[tuple[date, float]]) -> tuple[list[float], list[float]]:
    ordered = sorted(points)
    return [week_of_fiscal_year(d) for d, _ in ordered], [v for _, v in ordered]


@dataclass(frozen=True)
class ChartKind:
    """What fixes a chart's artists: which series it has (and their marker sizes, in pt)
    and every fixed text. Charts of one kind differ only in data, y range and title, so they
    are drawn on one figure (:func:`_chart_figure`); a run's 30 emails need one or two."""

    this_fy_marker: float | None  # None: no series
    reported_marker: float | None
    has_last_fy: bool
    this_fy_label: str
    last_fy_label: str
    reported_label: str
    x_label: str
    y_label: str
    reference_label: str


_Series = tuple[list[float], list[float]]


class _CoverageFigure:
    """One figure of a :class:`ChartKind`, built once and redrawn for each chart's data.

    Each render puts the axes back where a new figure starts them and runs the constrained
    layout afresh, so a chart's bytes do not depend on the charts drawn before it: equal
    input, equal PNG, as when every chart had its own figure. Not thread-safe: callers hold
    ``RENDER_LOCK``.
    """

    def __init__(self, kind: ChartKind) -> None:
        fig = Figure(figsize=(WIDTH_PX / _DPI, HEIGHT_PX / _DPI), dpi=_DPI, layout="constrained")
        FigureCanvasAgg(fig)
        ax = fig.add_subplot()
        self._figure, self._axes = fig, ax
        self._start = ax.get_position(original=True).frozen()
        self._layout = fig.get_layout_engine()
        self._positions: dict[tuple[float, tuple[float, ...]], Bbox] = {}
        self._lines: dict[str, Line2D] = {}
        # Plot order sets the legend order (this year first); zorder keeps this
        # year's line drawn on top where the two years overlap. A series the kind lacks
        # gets no line (and no legend entry).
        series: dict[str, dict[str, Any] | None] = {
            "this": None
            if kind.this_fy_marker is None
            else {
                "color": THIS_FY_COLOUR,
                "linewidth": 2.0,
                "marker": "o",
                "markersize": kind.this_fy_marker,
                "label": kind.this_fy_label,
                "zorder": 3,
            },
            "reported": None
            if kind.reported_marker is None
            else {
                "color": REPORTED_COLOUR,
                "linewidth": 2.0,
                "marker": "s",
                "markersize": kind.reported_marker,
                "label": kind.reported_label,
                "zorder": 3,
            },
            "last": None
            if not kind.has_last_fy
            else {
                "color": _LAST_FY_COLOUR,
                "linewidth": 1.5,
                "linestyle": "--",
                "label": kind.last_fy_label,
                "zorder": 2,
            },
        }
        for name, style in series.items():
            if style is not None:
                (self._lines[name],) = ax.plot([], [], **{"linestyle": "-", **style})
        ax.axhline(
            100,
            color=_REFERENCE_COLOUR,
            linewidth=1.0,
            linestyle="-",
            label=kind.reference_label,
            zorder=1,
        )
        ax.set_xlim(0, _WEEKS_IN_YEAR)
        ax.xaxis.set_major_locator(FixedLocator([0, 13, 26, 39, 52]))
        ax.yaxis.set_major_formatter(PercentFormatter(xmax=100, decimals=0))
        ax.tick_params(labelsize=8)
        ax.grid(axis="y", color="#eeeeee", linewidth=0.8)
        ax.set_axisbelow(True)
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
        # District names come from data; parse_math=False keeps a "$" in one from
        # being read as TeX.
        self._title = ax.set_title("", fontsize=10, loc="left", parse_math=False)
        ax.set_xlabel(kind.x_label, fontsize=8, parse_math=False)
        ax.set_ylabel(kind.y_label, fontsize=8, parse_math=False)
        if kind.reported_marker is not None:
            # Four series: the legend goes below the axes, where it hides no line.
            fig.legend(fontsize=7, loc="outside lower center", ncol=2, frameon=False)
        else:
            ax.legend(fontsize=7, loc="lower right", frameon=False)
        # Laid out explicitly in render(), once per chart; the draw itself must not again.
        fig.set_layout_engine("none")

    def render(
        self, this_fy: _Series, reported: _Series, last_fy: _Series, *, title: str, top: float
    ) -> bytes:
        """PNG of this figure with the given series (week, %), title and y-axis top (%)."""
        for name, (xs, ys) in (("this", this_fy), ("reported", reported), ("last", last_fy)):
            if name in self._lines:
                self._lines[name].set_data(xs, ys)
        ax = self._axes
        ax.set_ylim(0, top)
        ax.set_title(
            textwrap.fill(title, _TITLE_WRAP_CHARS), fontsize=10, loc="left", parse_math=False
        )
        # Back where a new figure's axes start the layout (set_position takes the axes out
        # of the layout, set_in_layout puts them back).
        ax.set_position(self._start)
        ax.set_in_layout(True)
        key = self._layout_key()
        position = self._positions.get(key)
        if position is None:
            assert self._layout is not None
            self._layout.execute(self._figure)
            position = self._positions[key] = ax.get_position(original=True).frozen()
        else:
            ax.set_position(position)
            ax.set_in_layout(True)
        return drawn_png_bytes(self._figure)

    @property
    def layouts(self) -> int:
        """How many distinct layouts this figure has computed."""
        return len(self._positions)

    def _layout_key(self) -> tuple[float, tuple[float, ...]]:
        """What the constrained layout of a chart of this kind depends on, with the axes at
        their start: the title's height in px (its lines and their glyphs) and the y ticks
        (their labels' width). Everything else it measures is fixed by the kind: the axis
        labels, the x ticks, the legend, and the title's width, which the layout ignores.
        Charts with equal keys get equal layouts, so each key is laid out once."""
        renderer = self._figure.canvas.get_renderer()  # type: ignore[attr-defined]
        title_height = float(self._title.get_window_extent(renderer).height)
        ticks = tuple(float(tick) for tick in self._axes.yaxis.get_majorticklocs())
        return title_height, ticks


@lru_cache(maxsize=8)
def _chart_figure(kind: ChartKind) -> _CoverageFigure:
    """The figure charts of ``kind`` are drawn on: built on first use, then reused."""
    return _CoverageFigure(kind)


def coverage_chart_png(
    this_fy: Sequence[tuple[date, float]],
    last_fy: Sequence[tuple[date, float]],
    *,
    title: str,
    this_fy_label: str = "This fiscal year",
    last_fy_label: str = "Last fiscal year",
    x_label: str = "Week of the fiscal year (weeks since 1 July)",
    y_label: str = "Coverage (%)",
    reference_label: str = "100% of target",
    reported_this_fy: Sequence[tuple[date, float]] = (),
    reported_label: str = "",
) -> bytes:
    """PNG (600 x 300 px) of weekly coverage: this fiscal year solid, last one dashed.

    ``this_fy`` and ``last_fy`` are ``(Friday, coverage %)`` pairs in any order;
    either may be empty. ``reported_this_fy``, when given, is this fiscal year's coverage
    on RSSB's target, drawn beside the (census-corrected) ``this_fy`` in its own colour
    (``REPORTED_COLOUR``), labelled ``reported_label``; the legend then sits below the axes.
    Equal input gives byte-identical output, so a retried
    email carries exactly the same image. It is also memoised (a chart takes about
    a quarter of a second), so a retried delivery or a preview after a send reuses it.
    """
    return _coverage_chart_png(
        tuple(sorted(this_fy)),
        tuple(sorted(last_fy)),
        title,
        this_fy_label,
        last_fy_label,
        x_label,
        y_label,
        reference_label,
        tuple(sorted(reported_this_fy)),
        reported_label,
    )


@lru_cache(maxsize=64)
def _coverage_chart_png(
    this_fy: tuple[tuple[date, float], ...],
    last_fy: tuple[tuple[date, float], ...],
    title: str,
    this_fy_label: str,
    last_fy_label: str,
    x_label: str,
    y_label: str,
    reference_label: str,
    reported_this_fy: tuple[tuple[date, float], ...],
    reported_label: str,
) -> bytes:
    x_this, y_this = _xy(this_fy)
    x_last, y_last = _xy(last_fy)
    x_reported, y_reported = _xy(reported_this_fy)
    kind = ChartKind(
        this_fy_marker=_marker_size(x_this) if x_this else None,
        reported_marker=_marker_size(x_reported) if x_reported else None,
        has_last_fy=bool(x_last),
        this_fy_label=this_fy_label,
        last_fy_label=last_fy_label,
        reported_label=reported_label,
        x_label=x_label,
        y_label=y_label,
        reference_label=reference_label,
    )
    # Coverage above 100% is real (RSSB's target lags population growth), so
    # the axis grows with the data instead of clipping at 100.
    top = max([105.0, *(v + 5.0 for v in (*y_this, *y_last, *y_reported))])
    with RENDER_LOCK:
        return _chart_figure(kind).render(
            (x_this, y_this), (x_reported, y_reported), (x_last, y_last), title=title, top=top
        )
