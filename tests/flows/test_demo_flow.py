"""The demo flow end to end under a real Prefect server: the walking skeleton's promises."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.warehouse_state import fingerprint, query
from tpn_metrics.emails.eml import read_eml
from tpn_metrics.settings import Settings

pytestmark = pytest.mark.slow

RESAMPLES = 2_000


@pytest.fixture(scope="module")
def demo(prefect_harness: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    from flows.demo import tpn_demo

    home = tmp_path_factory.mktemp("demo") / "home"
    result = tpn_demo(home=str(home), seed=2024, n_resamples=RESAMPLES)
    yield {"home": home, "settings": Settings(home=home), "result": result}


def test_every_sample_file_is_loaded(demo: dict):
    ingest = demo["result"].ingest
    # 161 RSSB weeks, accreditation files and the registry, and 30 DHIS2 exports (issue #22).
    assert ingest.counts == {"loaded": 191}
    statuses = query(
        demo["settings"], "select kind, status, count(*) from landing.file_ledger group by all"
    )
    assert ("dhis2", "loaded", 30) in statuses
    assert {status for _, status, _ in statuses} == {"loaded"}


def test_marts_are_built(demo: dict):
    tables = demo["result"].tables
    assert tables["marts.dim_district"] == 30
    # 157 Fridays × 30 districts, in the weekly facts and the corrections mart alike, less the
    # one district the sample leaves out of one week's file (an injected data-quality anomaly).
    assert tables["marts.fct_cbhi_weekly"] == 157 * 30 - 1
    assert tables["marts.fct_cbhi_coverage_corrected"] == 157 * 30 - 1
    assert tables["marts.fct_accreditation"] == 3 * 42


def test_thirty_emails_one_per_district_each_to_its_own_team(demo: dict):
    outbox = demo["home"] / "outbox"
    emails = sorted(p for p in outbox.glob("*/*.eml") if p.parent.name != "alerts")
    assert len(emails) == 30
    for path in emails:
        message = read_eml(path)
        district = path.stem
        assert all(f".{district}@example.org" in a for a in message["To"].split(", "))
        assert message.get_body(("plain",)) is not None
        images = [p for p in message.walk() if p.get_content_type() == "image/png"]
        assert len(images) == 1


def test_evaluation_reproduces_the_calibrated_paper_results(demo: dict):
    rows = {
        (c, g): m
        for c, g, m in query(
            demo["settings"],
            'select comparison_id, "group", mean_change_pp from evaluation.eval_group_summaries',
        )
    }
    assert rows[("accreditation_level_2", "focus")] == pytest.approx(7.8, abs=0.05)
    assert rows[("accreditation_level_2", "comparison")] == pytest.approx(2.2, abs=0.05)
    assert rows[("cbhi_coverage_reported", "focus")] == pytest.approx(6.6, abs=0.05)
    assert rows[("cbhi_coverage_reported", "comparison")] == pytest.approx(3.0, abs=0.05)
    report = (demo["home"] / "reports" / "evaluation.html").read_text()
    assert "percentage points" in report
    assert "data:image/png;base64," in report


def test_stale_targets_found_exactly_where_the_generator_put_them(demo: dict):
    import json

    manifest = json.loads((demo["home"] / "sample_data" / "manifest.json").read_text())
    generated = {entry["district_id"] for entry in manifest["stale_target_districts"]}
    assert len(generated) == 7
    assert set(demo["result"].corrections.stale_districts) == generated


def test_running_again_changes_nothing_and_sends_nothing(demo: dict, tmp_path: Path):
    from flows.demo import tpn_demo

    home = tmp_path / "again"
    shutil.copytree(demo["home"], home)
    before = fingerprint(Settings(home=home).warehouse_path)
    outbox_before = sorted(p.read_bytes() for p in (home / "outbox").glob("*/*.eml"))
    result = tpn_demo(home=str(home), seed=2024, n_resamples=RESAMPLES)
    assert result.ingest.counts == {"duplicate": 191}
    assert result.emails.delivered == 0
    assert result.emails.already_done == 30
    assert fingerprint(Settings(home=home).warehouse_path) == before
    assert sorted(p.read_bytes() for p in (home / "outbox").glob("*/*.eml")) == outbox_before
