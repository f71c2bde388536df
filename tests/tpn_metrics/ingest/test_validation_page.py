"""The validation results page `tpn ingest` links works offline: no web address in it, and
headless Chromium with the network cut shows every validation, the refused file's reason too.

Chromium is Debian's ``chromium`` package; locally the browser test is skipped without it, in
CI (``CI`` set) a missing browser fails it.
"""

from __future__ import annotations

import datetime as dt
import re
import subprocess
from pathlib import Path

import pytest

from tests.emails.test_browser_preview import chromium
from tpn_metrics.ingest.intake import data_docs_index, ingest_paths
from tpn_metrics.settings import Settings

TODAY = dt.date(2026, 11, 23)
GOOD = "ingest/good/rssb_2023-03-24_canonical.csv"
BAD = "ingest/bad/rssb_duplicate_district.csv"
FUTURE = "ingest/bad/rssb_future_date.csv"


@pytest.fixture(scope="module")
def page(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from tests.conftest import FIXTURES

    settings = Settings(home=tmp_path_factory.mktemp("validation_page"))
    files = [FIXTURES / GOOD, FIXTURES / BAD, FIXTURES / FUTURE]
    outcomes = ingest_paths(files, settings, today=TODAY)
    assert sorted(o.status for o in outcomes) == ["loaded", "quarantined", "quarantined"]
    return data_docs_index(settings)


def visible_text(html: str) -> str:
    html = re.sub(r"(?is)<(script|style)\b.*?</\1>", " ", html)
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def test_the_page_loads_nothing_from_the_internet(page: Path):
    html = page.read_text(encoding="utf-8")
    assert "<script" not in html.lower()
    assert not re.search(r"https?://", html), re.findall(r"https?://\S+", html)[:5]
    assert not [p for p in page.parent.rglob("*") if p.suffix in (".css", ".js")]


def test_the_page_lists_each_validation_and_the_reason_for_a_refusal(page: Path):
    text = visible_text(page.read_text(encoding="utf-8"))
    assert "rssb_2023-03-24_canonical.csv · rssb_weekly" in text
    assert "rssb_duplicate_district.csv · rssb_weekly" in text
    assert "3 newest of 3 validations, 2 failed" in text
    assert "appears more than once" in text  # the suite's own sentence for the failure
    assert "report_date 2031-01-03 is in the future" in text  # filled with what was observed


@pytest.mark.slow
def test_offline_chromium_shows_the_results(page: Path, tmp_path: Path):
    browser = chromium()
    dom = subprocess.run(
        [
            browser,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--proxy-server=http://127.0.0.1:9",  # nothing listens there: the network is off
            "--virtual-time-budget=5000",  # let any script run before the DOM is dumped
            f"--user-data-dir={tmp_path / 'profile'}",
            "--dump-dom",
            page.as_uri(),
        ],
        check=True,
        capture_output=True,
        text=True,
        timeout=180,
    ).stdout
    text = visible_text(dom)
    assert "rssb_duplicate_district.csv · rssb_weekly" in text, text[:500]
    assert "rssb_2023-03-24_canonical.csv · rssb_weekly" in text
    assert "failed" in text and "passed" in text
