"""A district email's HTML, as a person sees it: headless Chromium takes a screenshot.

The page must not be blank and the chart must really have loaded: the screenshot is compared
with one of the same page whose chart ``src`` is broken, and only the real one carries the
chart's line colours over a chart-sized area: the census-corrected line (#1b6ca8) and, for a
district whose RSSB target is stale (Gasabo on the sample), the reported one (#d55e00).
Set ``TPN_KEEP_SCREENSHOT=DIR`` to keep the screenshot for a person to look at.

Chromium is Debian's ``chromium`` package. Locally the test is skipped without it; in CI
(``CI`` set) a missing browser fails the test, since ``.ci/run`` installs it.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import matplotlib.image
import numpy as np
import pytest

from tpn_metrics.emails.chart import REPORTED_COLOUR, THIS_FY_COLOUR
from tpn_metrics.emails.content import render_district_html
from tpn_metrics.emails.district_figures import district_weeks, latest_report_date
from tpn_metrics.settings import Settings
from tpn_metrics.warehouse import open_warehouse

pytestmark = pytest.mark.slow


def _rgb(colour: str) -> np.ndarray:
    return np.array([int(colour[i : i + 2], 16) for i in (1, 3, 5)]) / 255


CHART_LINE = _rgb(THIS_FY_COLOUR)  # this fiscal year, census-corrected
REPORTED_LINE = _rgb(REPORTED_COLOUR)  # this fiscal year, as reported by RSSB
TOLERANCE = 40 / 255
WINDOW = (800, 1400)


def chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    if os.environ.get("CI"):
        pytest.fail("chromium is not installed; .ci/run installs Debian's chromium package")
    pytest.skip("chromium is not installed (apt-get install -y chromium)")


def screenshot(browser: str, html: Path, png: Path, profile: Path) -> np.ndarray:
    subprocess.run(
        [
            browser,
            "--headless",
            "--no-sandbox",  # we run as root in CI
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
            f"--user-data-dir={profile}",
            f"--screenshot={png}",
            f"--window-size={WINDOW[0]},{WINDOW[1]}",
            html.as_uri(),
        ],
        check=True,
        capture_output=True,
        timeout=180,
    )
    image = matplotlib.image.imread(png)
    return np.asarray(image)[..., :3]


def line_pixels(image: np.ndarray, colour: np.ndarray = CHART_LINE) -> np.ndarray:
    """Boolean mask of the pixels drawn in one of the chart's line colours."""
    return np.all(np.abs(image - colour) <= TOLERANCE, axis=-1)


def test_email_html_renders_with_its_chart_in_chromium(built_home: Path, tmp_path: Path) -> None:
    browser = chromium()
    settings = Settings(home=built_home)
    with open_warehouse(settings.warehouse_path, read_only=True) as con:
        day = latest_report_date(con)
        assert day is not None
        week = next(w for w in district_weeks(con, day) if w.district_id == "gasabo")
    html = render_district_html(week)
    assert html.count('src="data:image/png;base64,') == 1
    broken = re.sub(r'src="data:image/png;base64,[^"]+"', 'src="chart-missing.png"', html)

    page, broken_page = tmp_path / "gasabo.html", tmp_path / "gasabo-broken.html"
    page.write_text(html, encoding="utf-8")
    broken_page.write_text(broken, encoding="utf-8")
    shot = screenshot(browser, page, tmp_path / "gasabo.png", tmp_path / "profile")
    without = screenshot(browser, broken_page, tmp_path / "broken.png", tmp_path / "profile")

    assert shot.shape[:2] == (WINDOW[1], WINDOW[0])
    colours = np.unique((shot * 255).round().astype(np.uint8).reshape(-1, 3), axis=0)
    assert len(colours) > 50, "the screenshot is blank"
    dark = np.all(shot < 0.3, axis=-1).sum()
    assert dark > 2_000, "no text on the page"

    line, no_line = line_pixels(shot), line_pixels(without)
    # The heading is in the same blue, so compare with the broken-image page.
    assert line.sum() - no_line.sum() > 100, "the chart image did not load"
    rows, columns = np.nonzero(line & ~no_line)
    # The extra blue lies below the table and spans a chart's width, not a stray icon.
    assert rows.min() > 300
    assert columns.max() - columns.min() > 40

    # Gasabo's RSSB target is stale: the reported line is drawn beside the corrected one,
    # across the chart, and nowhere else on the page.
    assert week.trajectory_this_fy_reported
    reported, no_reported = line_pixels(shot, REPORTED_LINE), line_pixels(without, REPORTED_LINE)
    assert no_reported.sum() == 0
    assert reported.sum() > 100, "the reported coverage line is not drawn"
    rows, columns = np.nonzero(reported)
    assert rows.min() > 300
    assert columns.max() - columns.min() > 40
    # And the page says which figure to trust.
    assert "Which figure to trust" in html
    keep = os.environ.get("TPN_KEEP_SCREENSHOT")
    if keep:
        shutil.copy(tmp_path / "gasabo.png", Path(keep) / "gasabo-email.png")
