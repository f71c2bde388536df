"""Atomic publish with real dbt builds: analysts never see a half-built warehouse.

One scenario in one TPN home (dbt's partial parsing is keyed on the warehouse path, and a
cold parse costs ~8 s of CPU), each step's observations recorded for the tests below:

1. a first ``build_atomically`` publishes the warehouse, the analysts' read-only snapshot
   and the state file;
2. a new Friday is loaded and a build started in another process is killed with SIGKILL
   once dbt is writing the marts: the previous marts are unchanged and readable;
3. the next build succeeds and publishes the new Friday;
4. an ingestion bug (a duplicate row) makes a dbt test fail (in a build of the weekly mart
   and what it needs, to save time): nothing is published;
5. ``generate_docs`` writes the self-contained dbt docs page.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pytest

from tests.dbt.synthetic_history import FIRST_FRIDAY, add_fridays, friday, sha
from tests.reliability.tally import TALLY
from tests.warehouse_state import fingerprint
from tpn_metrics.build_state import read_state
from tpn_metrics.dbt_docs import generate_docs
from tpn_metrics.dbt_runner import DbtBuildError, DbtRunOutcome, dbt_log_dir
from tpn_metrics.settings import PROJECT_ROOT, Settings
from tpn_metrics.warehouse import ensure_landing_schema, open_warehouse
from tpn_metrics.warehouse_build import build_atomically
from tpn_metrics.warehouse_swap import build_lock, build_paths

pytestmark = [pytest.mark.slow, pytest.mark.reliability]

WEEKS = 8
#: dbt's log line when it starts writing a mart (``... START sql table model marts.dim_x``).
KILL_WHEN_LOGGED = re.compile(rb"START sql \w+ model marts\.")
BUILD_IN_A_CHILD = (
    "import sys; from pathlib import Path; from tpn_metrics.settings import Settings; "
    "from tpn_metrics.warehouse_build import build_atomically; "
    "build_atomically(Settings(home=Path(sys.argv[1])))"
)


@dataclass
class Scenario:
    settings: Settings
    outcomes: dict[str, DbtRunOutcome] = field(default_factory=dict)
    fingerprints: dict[str, dict[str, str]] = field(default_factory=dict)
    observed: dict[str, Any] = field(default_factory=dict)


def count(path: Path, sql: str) -> int:
    con = duckdb.connect(str(path), read_only=True)
    try:
        row = con.execute(sql).fetchone()
        assert row is not None
        return int(row[0])
    finally:
        con.close()


def kill_a_build_midway(settings: Settings, scenario: Scenario) -> None:
    paths = build_paths(settings)
    log = dbt_log_dir(settings) / "dbt.log"
    offset = log.stat().st_size
    child = subprocess.Popen(
        [sys.executable, "-c", BUILD_IN_A_CHILD, str(settings.home)],
        cwd=PROJECT_ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline and child.poll() is None:
            with log.open("rb") as handle:
                handle.seek(offset)
                started = KILL_WHEN_LOGGED.search(handle.read()) is not None
            if started and paths.building.exists():
                break
            time.sleep(0.05)
        scenario.observed["finished_before_the_kill"] = child.poll() is not None
        os.kill(child.pid, signal.SIGKILL)
        TALLY.injected("dbt build")
    finally:
        scenario.observed["child_returncode"] = child.wait(timeout=60)
    scenario.observed["building_left_behind"] = paths.building.exists()


@pytest.fixture(scope="module")
def scenario(tmp_path_factory: pytest.TempPathFactory) -> Scenario:
    settings = Settings(home=tmp_path_factory.mktemp("publish"))
    paths = build_paths(settings)
    result = Scenario(settings)
    with open_warehouse(paths.live) as con:
        ensure_landing_schema(con)
        add_fridays(con, settings, FIRST_FRIDAY, WEEKS)

    result.outcomes["first"] = build_atomically(settings)
    result.fingerprints["first"] = fingerprint(paths.live)
    result.fingerprints["first_snapshot"] = fingerprint(paths.snapshot)
    result.observed["state_after_first"] = read_state(paths)
    result.observed["inode_after_first"] = paths.live.stat().st_ino

    with open_warehouse(paths.live) as con:
        add_fridays(con, settings, friday(WEEKS), 1)
    result.fingerprints["before_kill"] = fingerprint(paths.live)
    kill_a_build_midway(settings, result)
    result.fingerprints["after_kill"] = fingerprint(paths.live)
    result.fingerprints["snapshot_after_kill"] = fingerprint(paths.snapshot)
    result.observed["inode_after_kill"] = paths.live.stat().st_ino
    result.observed["weekly_rows_after_kill"] = count(
        paths.live, "select count(*) from marts.fct_cbhi_weekly"
    )
    with build_lock(paths.lock, wait_seconds=0):  # the kernel released the killed one's
        result.observed["lock_free_after_kill"] = True

    result.outcomes["after_kill"] = build_atomically(settings)
    result.fingerprints["after_kill_build"] = fingerprint(paths.live)
    result.observed["new_friday_rows"] = {
        name: count(
            path,
            "select count(*) from marts.fct_cbhi_weekly "
            f"where report_date = '{friday(WEEKS).isoformat()}'",
        )
        for name, path in (("live", paths.live), ("snapshot", paths.snapshot))
    }
    result.observed["building_after_success"] = paths.building.exists()

    with open_warehouse(paths.live) as con:  # an ingestion bug: a file loaded twice
        con.execute(
            "insert into landing.rssb_weekly select 'sha-duplicate', * exclude (file_sha256) "
            "from landing.rssb_weekly where file_sha256 = ? and district_id = 'gasabo'",
            [sha(friday(WEEKS))],
        )
    result.fingerprints["before_failure"] = fingerprint(paths.live)
    result.fingerprints["snapshot_before_failure"] = fingerprint(paths.snapshot)
    with pytest.raises(DbtBuildError) as failure:  # the weekly marts and their tests only
        build_atomically(settings, select="+fct_cbhi_weekly", indirect_selection="buildable")
    result.observed["failure"] = failure.value
    result.fingerprints["after_failure"] = fingerprint(paths.live)
    result.fingerprints["snapshot_after_failure"] = fingerprint(paths.snapshot)
    result.observed["building_after_failure"] = paths.building.exists()

    result.observed["docs"] = generate_docs(settings)
    return result


def test_first_build_publishes_the_warehouse_and_a_read_only_snapshot(scenario: Scenario) -> None:
    paths = build_paths(scenario.settings)
    assert scenario.outcomes["first"].success
    assert "--full-refresh" in scenario.outcomes["first"].command  # nothing recorded yet
    first = scenario.fingerprints["first"]
    assert "marts.fct_cbhi_weekly" in first
    assert scenario.fingerprints["first_snapshot"] == first
    state = scenario.observed["state_after_first"]
    assert set(state["incremental_models"]) == {
        "model.tpn.fct_cbhi_weekly",
        "model.tpn.fct_cbhi_coverage_corrected",
    }
    assert paths.lock.exists()
    assert count(paths.snapshot, "select count(*) from marts.fct_cbhi_coverage_corrected") > 0


def test_a_killed_build_leaves_the_previous_marts_intact_and_readable(
    scenario: Scenario,
) -> None:
    observed = scenario.observed
    assert not observed["finished_before_the_kill"], "the build ended before it was killed"
    assert observed["child_returncode"] == -signal.SIGKILL
    assert observed["building_left_behind"]  # it was killed while building the copy
    assert scenario.fingerprints["after_kill"] == scenario.fingerprints["before_kill"]
    assert scenario.fingerprints["snapshot_after_kill"] == scenario.fingerprints["first"]
    assert observed["inode_after_kill"] == observed["inode_after_first"]
    assert observed["weekly_rows_after_kill"] == 30 * WEEKS
    assert observed["lock_free_after_kill"]


def test_the_next_build_succeeds_and_swaps(scenario: Scenario) -> None:
    outcome = scenario.outcomes["after_kill"]
    assert outcome.success
    assert "--full-refresh" not in outcome.command
    assert scenario.observed["new_friday_rows"] == {"live": 30, "snapshot": 30}
    assert not scenario.observed["building_after_success"]
    assert scenario.fingerprints["after_kill_build"] != scenario.fingerprints["before_kill"]
    TALLY.recovered_from("dbt build")


def test_a_failing_dbt_test_publishes_nothing(scenario: Scenario) -> None:
    failure = scenario.observed["failure"]
    assert "unique_combination_of_columns_stg_rssb__weekly_reports" in str(failure)
    assert scenario.fingerprints["after_failure"] == scenario.fingerprints["before_failure"]
    assert (
        scenario.fingerprints["snapshot_after_failure"]
        == scenario.fingerprints["snapshot_before_failure"]
    )
    assert not scenario.observed["building_after_failure"]


def test_docs_are_one_self_contained_page(scenario: Scenario) -> None:
    index = scenario.observed["docs"]
    assert index == scenario.settings.home / "var" / "dbt_docs" / "index.html"
    html = index.read_text(encoding="utf-8")
    assert "fct_cbhi_coverage_corrected" in html  # the manifest is inlined
    assert "dbt_loaded_at" in html
    manifest = json.loads(
        (scenario.settings.home / "var" / "dbt_docs" / "target" / "manifest.json").read_text()
    )
    assert "model.tpn.fct_cbhi_weekly" in manifest["nodes"]
    # the last build's artefacts are untouched by the docs
    assert (scenario.settings.dbt_target_dir / "run_results.json").exists()
