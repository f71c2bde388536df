"""The coverage chart: a 600 x 300 PNG, byte-for-byte reproducible."""

from __future__ import annotations

import gc
from datetime import date

from tests.tpn_metrics.emails.sample_week import fridays, make_week, png_size
from tpn_metrics.emails.chart import (
    _chart_figure,
    _coverage_chart_png,
    _CoverageFigure,
    coverage_chart_png,
)


def test_chart_bytes_are_deterministic_and_carry_no_software_stamp() -> None:
    week = make_week()

    def chart(title: str) -> bytes:
        return coverage_chart_png(week.trajectory_this_fy, week.trajectory_last_fy, title=title)

    first = chart("Gasabo")
    assert first == chart("Gasabo")
    assert first != chart("Kicukiro")
    assert b"Software" not in first
    assert b"Matplotlib" not in first


def test_chart_handles_empty_series_and_unsorted_points() -> None:
    this_fy = make_week().trajectory_this_fy

    assert png_size(coverage_chart_png(this_fy, (), title="Gasabo")) == (600, 300)
    assert png_size(coverage_chart_png((), (), title="Gasabo")) == (600, 300)
    assert coverage_chart_png(tuple(reversed(this_fy)), (), title="x") == coverage_chart_png(
        this_fy, (), title="x"
    )


def _charts() -> list[dict[str, object]]:
    """Charts of one kind differing in what a district's chart differs in: data, y range
    (coverage over 100% grows the axis, its top on a tick or between two), title length
    (one or two lines) and glyphs (accents reach higher), few points."""
    week = make_week()
    long_name = "Nyamasheke ya Ruguru na Bugarama " * 2
    last_fy = week.trajectory_last_fy
    return [
        {"this_fy": week.trajectory_this_fy, "last_fy": last_fy, "title": "Gasabo"},
        {
            "this_fy": fridays(date(2022, 7, 1), 30, 95.0, 1.5),
            "last_fy": last_fy,
            "title": f"{long_name}: coverage $5",
        },
        {
            "this_fy": fridays(date(2022, 7, 1), 39, 10.0, 0.2),
            "last_fy": fridays(date(2021, 7, 2), 52, 150.0, 2.0),
            "title": "Étoile",
        },
        {  # the axis tops at 120%, on a tick
            "this_fy": fridays(date(2022, 7, 1), 4, 112.0, 1.0),
            "last_fy": last_fy,
            "title": "Kicukiro",
        },
        {
            "this_fy": fridays(date(2022, 7, 1), 20, 50.0, 3.3),
            "last_fy": last_fy,
            "title": f"Évolution à {long_name}",
        },
        {"this_fy": fridays(date(2022, 7, 1), 39, 40.0, 1.0), "last_fy": last_fy, "title": "Huye"},
    ]


def _figures() -> list[_CoverageFigure]:
    gc.collect()  # figures whose cache entry was cleared
    return [o for o in gc.get_objects() if isinstance(o, _CoverageFigure)]


def _clear_caches() -> None:
    _coverage_chart_png.cache_clear()
    _chart_figure.cache_clear()


def test_charts_of_one_kind_are_drawn_on_one_figure() -> None:
    _clear_caches()
    week = make_week()
    pngs = {
        coverage_chart_png(
            fridays(date(2022, 7, 1), 39, 20.0 + district / 2, 1.0),  # all under 100%
            week.trajectory_last_fy,
            title=f"District {district}",
        )
        for district in range(30)
    }
    assert len(pngs) == 30  # every chart has its own data...
    assert _chart_figure.cache_info().misses == 1  # ...drawn on one figure...
    (figure,) = _figures()
    assert figure.layouts == 1  # ...laid out once: same title height, same y ticks

    coverage_chart_png(
        week.trajectory_this_fy,
        week.trajectory_last_fy,
        title="Gasabo",
        reported_this_fy=week.trajectory_this_fy,
        reported_label="On RSSB's target",
    )
    assert _chart_figure.cache_info().misses == 2  # another series: another figure


def test_a_chart_on_the_shared_figure_equals_one_on_a_new_figure_whatever_came_before() -> None:
    alone = []
    for chart in _charts():
        _clear_caches()  # a new figure for each chart, as in a process that draws only it
        alone.append(coverage_chart_png(**chart))  # type: ignore[arg-type]
    assert len(set(alone)) == len(alone)

    _clear_caches()
    shared = [coverage_chart_png(**chart) for chart in reversed(_charts())]  # type: ignore[arg-type]
    assert _chart_figure.cache_info().misses == 1
    assert 1 < _figures()[0].layouts < len(alone)  # some were laid out once for two
    assert list(reversed(shared)) == alone
