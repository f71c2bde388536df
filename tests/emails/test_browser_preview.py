"""A district email's HTML, as a person sees it: headless Chromium takes a screenshot.

The page must not be blank and the chart must really have loaded: the screenshot is compared
with one of the same page whose chart ``src`` is broken, and only the real one carries the
chart's line colour (#1b6ca8) over a chart-sized area.

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

from tpn_metrics.reports.district_weeks import district_weeks, latest_report_date
from tpn_metrics.reports.email_content import render_district_html
from tpn_metrics.settings import Settings
from tpn_metrics.warehouse import open_warehouse

pytestmark = pytest.mark.slow

CHART_LINE = np.array([0x1B, 0x6C, 0xA8]) / 255  # _THIS_FY_COLOUR in email_chart.py
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


def line_pixels(image: np.ndarray) -> np.ndarray:
    """Boolean mask of the pixels drawn in the chart's line colour."""
    return np.all(np.abs(image - CHART_LINE) <= TOLERANCE, axis=-1)


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
