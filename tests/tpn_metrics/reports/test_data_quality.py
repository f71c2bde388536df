"""The report's Data quality section: the colour grid (a PNG whose cells carry the statuses'
colours), the flagged values with context, and a section saying so without marts."""

from __future__ import annotations

import io
from pathlib import Path

import duckdb
import numpy as np
from matplotlib.image import imread

from tests.tpn_metrics.quality.dq_marts import WEEK, build_dq_marts
from tpn_metrics.quality.review import week_review
from tpn_metrics.reports.data_quality import STATUS_COLOURS, data_quality_section, scorecard_png


def _pixels(image: np.ndarray, colour: str) -> int:
    rgb = np.array([int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)])
    return int((np.abs(image[..., :3] - rgb).max(axis=-1) < 0.02).sum())


def test_the_grid_shows_each_status_in_its_colour(tmp_path: Path):
    path = build_dq_marts(tmp_path / "w.duckdb")
    with duckdb.connect(str(path), read_only=True) as con:
        review = week_review(con, WEEK)
    png = scorecard_png(review)
    assert png.startswith(b"\x89PNG")
    image = imread(io.BytesIO(png), format="png")
    assert all(_pixels(image, colour) > 0 for colour in STATUS_COLOURS.values())
    clean = imread(io.BytesIO(scorecard_png(week_review_of(tmp_path, "nyarugenge"))), "png")
    # The clean district's grid has vermillion only in its legend; three flagged cells add more.
    flagged = STATUS_COLOURS["flagged"]
    assert _pixels(image, flagged) > 3 * _pixels(clean, flagged) > 0


def week_review_of(tmp_path: Path, district: str):  # type: ignore[no-untyped-def]
    with duckdb.connect(str(tmp_path / "w.duckdb"), read_only=True) as con:
        return week_review(con, WEEK, district)


def test_the_section_lists_the_flagged_values(tmp_path: Path):
    path = build_dq_marts(tmp_path / "w.duckdb")
    with duckdb.connect(str(path), read_only=True) as con:
        section = data_quality_section(con)
    markdown = section.markdown
    assert markdown.startswith("## Data quality")
    assert (
        "RSSB's report of 2023-03-24: 3 of 3 districts in the file, 3 flagged value(s) in 2"
        in markdown
    )
    assert (
        "| Gasabo | Outliers | members paid rose by 41,200 (usual weekly rise about 3,000) |"
        in markdown
    )
    assert "| Nyarugenge | ok | ok | ok | not applicable | ok | ok |" in markdown
    assert "| Kicukiro | ok | flagged (1) | ok | ok | flagged (1) | ok |" in markdown
    assert "Level-2 score changed by 41.0 pp" in markdown
    assert (
        "<img alt='Data-quality scorecard of 2023-03-24' src='data:image/png;base64,"
        in section.html
    )


def test_without_marts_the_section_says_so(tmp_path: Path):
    with duckdb.connect(str(tmp_path / "none.duckdb")) as con:
        section = data_quality_section(con)
    assert (
        "No data-quality review" in section.markdown and "not in the warehouse" in section.markdown
    )
    path = build_dq_marts(tmp_path / "empty.duckdb", with_rows=False)
    with duckdb.connect(str(path), read_only=True) as con:
        section = data_quality_section(con)
    assert "are empty" in section.markdown and "<img" not in section.html
