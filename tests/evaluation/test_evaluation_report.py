"""The evaluation report as a programme manager reads it, on a real warehouse: summary first,
methods by human names, institutions by name, units right, the paper beside ours; and in
headless Chromium at 1280 px nothing runs past the page."""

from __future__ import annotations

import html
import json
import re
import subprocess
from pathlib import Path

import duckdb
import matplotlib.image
import numpy as np
import pytest

from tests.emails.test_browser_preview import chromium
from tpn_metrics.evaluation.headline import METHOD_NAMES
from tpn_metrics.reports.evaluation_plots import FISCAL_YEAR_RESET, fiscal_year_starts
from tpn_metrics.settings import Settings
from tpn_metrics.stages import run_evaluation

pytestmark = pytest.mark.slow

WIDTH = 1280
# Writes the page's widths into the DOM once laid out, for --dump-dom to read back.
PROBE = """<script>window.addEventListener('load', () => {
  const d = document.documentElement, body = document.body.getBoundingClientRect();
  const past = [...document.querySelectorAll('table, img, pre')]
    .filter(e => e.getBoundingClientRect().right > body.right + 1)
    .map(e => e.tagName + ': ' + (e.textContent || e.alt || '').slice(0, 60));
  const rightText = [...document.querySelectorAll('td')]
    .filter(e => /^[^0-9–]+$/.test(e.textContent.trim()))
    .filter(e => !['left', 'start'].includes(getComputedStyle(e).textAlign))
    .map(e => e.textContent.trim());
  const out = document.createElement('pre');
  out.id = 'probe';
  out.textContent = JSON.stringify({scrollWidth: d.scrollWidth, clientWidth: d.clientWidth,
                                    past: past, rightText: rightText});
  document.body.appendChild(out);
});</script>"""


@pytest.fixture(scope="module")
def report(evaluation_home: Path, tmp_path_factory: pytest.TempPathFactory) -> str:
    import shutil

    home = tmp_path_factory.mktemp("report") / "home"
    shutil.copytree(evaluation_home, home)
    outputs = run_evaluation(Settings(home=home), n_resamples=300)
    return outputs.html_path.read_text(encoding="utf-8")


def visible_text(page: str) -> str:
    page = re.sub(r"<(style|script)[^>]*>.*?</\1>", " ", page, flags=re.S)
    return html.unescape(re.sub(r"<[^>]+>", " ", page))


def evaluation_part(page: str) -> str:
    """Our sections: everything before the corrections and twinning sections of others."""
    return visible_text(page.split("<h2>Reported vs corrected CBHI coverage</h2>", maxsplit=1)[0])


def test_the_report_opens_with_a_plain_language_summary(report: str):
    headings = re.findall(r"<h2>(.*?)</h2>", report)
    assert headings[0] == "Summary"
    summary = visible_text(report.split("<h2>Summary</h2>")[1].split("<h2>", maxsplit=1)[0])
    assert "hospitals that chose accreditation" in summary
    assert "districts that chose CBHI enrolment" in summary
    assert re.search(r"95% interval [+−]\d", summary)
    assert re.search(r"chance", summary)  # how sure, in words
    assert "Self-selection" in summary
    assert "Regression to the mean" in summary


def test_the_summary_leads_with_corrected_coverage_and_puts_reported_beside_it(report: str):
    summary = visible_text(report.split("<h2>Summary</h2>")[1].split("<h2>", maxsplit=1)[0])
    corrected = summary.index("CBHI coverage, corrected with census projections: focus +")
    beside = summary.index("As reported by RSSB: focus", corrected)
    assert "CBHI coverage, as reported by RSSB:" not in summary
    assert re.search(r"others [+−]\d+\.\d pp \(n = \d+\)\. Estimated effect", summary[corrected:])
    assert summary.index("Decline of the uninsured share, corrected coverage") > beside
    assert "The effects above are baseline-adjusted" not in summary
    assert "the decline of the uninsured share is not" in summary


def test_methods_have_human_names_not_identifiers(report: str):
    text = evaluation_part(report)
    for identifier in ("z_difference", "bootstrap_percentile", "welch_t", "did_weekly_panel"):
        assert identifier not in text
    assert "two-sample z-test, as in the paper" in text
    assert "baseline-adjusted (ANCOVA) — recommended" in text
    for method in ("welch_t", "permutation", "ancova", "did_weekly_panel"):
        assert METHOD_NAMES[method] in text


def test_institutions_appear_by_name(report: str, evaluation_home: Path):
    text = evaluation_part(report)
    con = duckdb.connect(str(Settings(home=evaluation_home).warehouse_path), read_only=True)
    try:
        hospitals = con.execute(
            "select distinct h.hospital_id, h.hospital_name from marts.dim_hospital h "
            "join marts.fct_accreditation a using (hospital_id) "
            "where h.hospital_category in ('district', 'provincial')"
        ).fetchall()
    finally:
        con.close()
    assert hospitals
    for hospital_id, name in hospitals:
        assert name in text
        assert not re.search(rf"(?<![\w-]){re.escape(hospital_id)}(?![\w-])", text), hospital_id


def test_uninsured_decline_is_in_percent_of_the_baseline_share_with_exclusions_named(report: str):
    text = evaluation_part(report)
    section = text.split("Decline of the uninsured share")[-1]
    assert "in % of the baseline uninsured share" in section
    assert "(ū0 − ū1) / ū0" in section and "(ū1 − ū0)" not in text
    assert "a difference of +" in section and "percentage points" in section
    assert "corrected" in section and "reported" in section
    assert "lack an endline value" not in text
    assert "baseline mean 0.00" not in text


def test_the_fiscal_year_reset_is_explained_beside_the_weekly_chart(report: str):
    assert f"<p class='caption'>{html.escape(FISCAL_YEAR_RESET)}</p>" in report
    assert "alt='weekly CBHI coverage'" in report
    days = ["2020-07-03", "2021-06-25", "2021-07-02", "2022-06-24"]
    assert [str(d) for d in fiscal_year_starts(days)] == ["2021-07-01"]


def test_the_paper_is_set_beside_ours_with_its_inconsistencies(report: str):
    text = visible_text(report)
    section = text.split("Our figures beside the published paper (Gasana et al. 2024)")[1]
    for figure in ("+7.8", "+2.2", "73.7", "63.1", "+6.6", "+3.0", "+35.0", "+22.0"):
        assert figure in section
    assert '"4.8% more"' in section and "3.6 percentage points" in section
    assert '"5.6%"' in section and "5.6 percentage points" in section


def test_in_chromium_at_1280_px_nothing_runs_past_the_page(report: str, tmp_path: Path):
    browser = chromium()
    page = tmp_path / "evaluation.html"
    page.write_text(report.replace("</body>", PROBE + "</body>"), encoding="utf-8")
    flags = [
        browser,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--hide-scrollbars",
        f"--user-data-dir={tmp_path / 'profile'}",
    ]
    dom = subprocess.run(
        [*flags, f"--window-size={WIDTH},1000", "--dump-dom", page.as_uri()],
        check=True,
        capture_output=True,
        text=True,
        timeout=180,
    ).stdout
    found = re.search(r'<pre id="probe">(.*?)</pre>', dom)
    assert found, "the probe did not run"
    probe = json.loads(html.unescape(found[1]))
    assert probe["clientWidth"] == WIDTH
    assert probe["scrollWidth"] <= probe["clientWidth"]
    assert probe["past"] == []
    assert probe["rightText"] == []

    shot = tmp_path / "evaluation.png"
    subprocess.run(
        [*flags, f"--window-size={WIDTH},2000", f"--screenshot={shot}", page.as_uri()],
        check=True,
        capture_output=True,
        timeout=180,
    )
    image = np.asarray(matplotlib.image.imread(shot))[..., :3]
    assert image.shape[:2] == (2000, WIDTH)
    assert np.all(image < 0.3, axis=-1).sum() > 5_000, "no text in the screenshot"
