"""The coverage chart: a 600 x 300 PNG, byte-for-byte reproducible."""

from __future__ import annotations

from tests.tpn_metrics.emails.sample_week import make_week, png_size
from tpn_metrics.emails.chart import coverage_chart_png


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
