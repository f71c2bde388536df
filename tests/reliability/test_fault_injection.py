"""Faults during ingestion: a run killed with SIGKILL half-way, a copy left half-written, a
warehouse held open by another process (an analyst).

Promises checked after each fault: the warehouse opens; the ledger is accurate (each file it
calls loaded has exactly its rows in the landing tables, and no landing row lacks a ledger
row); a restart loads every file exactly once; nobody else's work is broken.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from tests.reliability.conftest import GOOD, ingest, query
from tests.reliability.tally import TALLY
from tests.warehouse_state import fingerprint
from tpn_metrics.ingest.intake import expand
from tpn_metrics.ingest.landing import sha256_of
from tpn_metrics.sample.generator import generate_sample
from tpn_metrics.settings import Settings
from tpn_metrics.warehouse import LANDING_TABLES, WarehouseBusyError, connect

pytestmark = pytest.mark.slow

WEEKLY_FILES = 40
SUBPROCESS_TIMEOUT = 300


@pytest.fixture(scope="module")
def drop(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """~40 sample weekly files (CSV and XLSX), the accreditation files and the registry."""
    sample = tmp_path_factory.mktemp("sample")
    generate_sample(sample, seed=2024, today=dt.date(2023, 6, 30))
    weekly = sorted((sample / "rssb_weekly").iterdir())
    step = max(1, len(weekly) // WEEKLY_FILES)
    folder = tmp_path_factory.mktemp("drop")
    for path in weekly[::step][:WEEKLY_FILES]:
        shutil.copyfile(path, folder / path.name)
    for path in (sample / "accreditation").iterdir():
        shutil.copyfile(path, folder / path.name)
    shutil.copytree(sample / "registry", folder / "registry")
    return folder


def _tpn(*args: str) -> list[str]:
    return [sys.executable, "-c", "from tpn_metrics.cli import main; main()", *args]


def _stored(store: Path) -> int:
    if not store.exists():
        return 0
    return sum(1 for p in store.glob("*/*") if not p.name.endswith(".partial"))


def _landing_rows_union() -> str:
    return " union all ".join(f"select file_sha256 from landing.{t}" for t in LANDING_TABLES)


def ledger_problems(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Everything that makes the ledger disagree with the landing tables."""
    union = _landing_rows_union()
    wrong_counts = con.execute(
        f"""
        with landed as (select file_sha256, count(*) as n from ({union}) group by all)
        select l.file_name, l.row_count, coalesce(landed.n, 0)
        from landing.file_ledger as l left join landed using (file_sha256)
        where l.status in ('loaded', 'superseded') and l.row_count <> coalesce(landed.n, 0)
        """
    ).fetchall()
    orphans = con.execute(
        f"""
        select distinct file_sha256 from ({union})
        where file_sha256 not in (
            select file_sha256 from landing.file_ledger where status in ('loaded', 'superseded')
        )
        """
    ).fetchall()
    return [
        f"{name}: ledger says {says} rows, landing has {has}" for name, says, has in wrong_counts
    ] + [f"landing rows of {sha} have no ledger row" for (sha,) in orphans]


def test_an_ingest_killed_half_way_leaves_an_accurate_ledger_and_a_restart_completes(
    drop: Path, tmp_path: Path
):
    settings = Settings(home=tmp_path / "home")
    items = expand([drop])
    total = len(items)
    kill_at = total // 2
    errors = tmp_path / "ingest.stderr"
    with errors.open("wb") as stderr:
        run = subprocess.Popen(
            _tpn("ingest", str(drop)),
            env={**os.environ, "TPN_HOME": str(settings.home), "TQDM_DISABLE": "1"},
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        )
        deadline = time.monotonic() + SUBPROCESS_TIMEOUT
        try:
            while run.poll() is None and time.monotonic() < deadline:
                if _stored(settings.landing_store) >= kill_at:
                    os.kill(run.pid, signal.SIGKILL)
                    TALLY.injected("ingestion")
                    break
                time.sleep(0.002)
        finally:
            if run.poll() is None and time.monotonic() >= deadline:
                run.kill()
            run.wait()
    assert run.returncode == -signal.SIGKILL, (
        f"the ingest ended ({run.returncode}) before it could be killed: "
        + errors.read_text(errors="replace")[-2000:]
    )

    # The warehouse opens, read-only as an analyst would, and the ledger is accurate.
    con = connect(settings.warehouse_path, read_only=True, wait_seconds=5)
    try:
        assert ledger_problems(con) == []
        committed = con.execute(
            "select count(*) from landing.file_ledger where status = 'loaded'"
        ).fetchone()
        statuses = {s for (s,) in con.execute("select status from landing.file_ledger").fetchall()}
    finally:
        con.close()
    assert committed is not None
    loaded_before = int(committed[0])
    assert 0 < loaded_before < total, f"killed after {loaded_before} of {total} files"
    assert statuses == {"loaded"}

    # The restart (the next scheduled run) loads the rest, and nothing twice.
    outcomes = ingest(settings, [drop], source="fault injection: restart")
    by_status = {s: sum(1 for o in outcomes if o.status == s) for s in {o.status for o in outcomes}}
    assert by_status == {"duplicate": loaded_before, "loaded": total - loaded_before}, by_status

    con = connect(settings.warehouse_path, read_only=True, wait_seconds=5)
    try:
        assert ledger_problems(con) == []
        ledger = dict(con.execute("select file_sha256, status from landing.file_ledger").fetchall())
        weeks = con.execute(
            "select count(distinct report_date), count(*) from landing.rssb_weekly"
        ).fetchone()
        rows_by_ledger = con.execute(
            "select sum(row_count) from landing.file_ledger where kind = 'rssb_weekly'"
        ).fetchone()
    finally:
        con.close()
    assert sorted(ledger) == sorted(sha256_of(p) for p in items), "every file, exactly once"
    assert set(ledger.values()) == {"loaded"}
    assert weeks is not None and rows_by_ledger is not None
    assert weeks[0] == WEEKLY_FILES
    assert weeks[1] == rows_by_ledger[0]
    TALLY.recovered_from("ingestion")


def test_a_copy_left_half_written_is_replaced(loaded: Settings):
    """A run killed while copying leaves ``<sha>.csv.partial``; the next run copies again."""
    source = GOOD / "rssb_2023-03-31_semicolon_bom_aliases.csv"
    sha = sha256_of(source)
    partial = loaded.landing_store / sha[:2] / f"{sha}.csv.partial"
    partial.parent.mkdir(parents=True, exist_ok=True)
    partial.write_bytes(source.read_bytes()[:100])
    TALLY.injected("ingestion")
    (outcome,) = ingest(loaded, [source], source="fault injection: restart")
    assert outcome.status == "loaded", outcome.reason
    stored = loaded.landing_store / sha[:2] / f"{sha}.csv"
    assert stored.read_bytes() == source.read_bytes()
    assert not partial.exists()
    TALLY.recovered_from("ingestion")


ANALYST = """
import sys, time, duckdb
con = duckdb.connect(sys.argv[1])
con.execute("create table main.analyst_scratch as select 'kept' as note")
print("holding", flush=True)
time.sleep(float(sys.argv[2]))
con.close()
"""


def test_a_warehouse_held_by_an_analyst(loaded: Settings):
    """Another process holds the DuckDB write lock for ~3 s: a short wait is refused with a
    clear message (changing nothing); an ingest waits, retries, and loads once it is free."""
    before = fingerprint(loaded.warehouse_path)
    analyst = subprocess.Popen(
        [sys.executable, "-c", ANALYST, str(loaded.warehouse_path), "3"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert analyst.stdout is not None
        assert analyst.stdout.readline().strip() == "holding"
        TALLY.injected("warehouse locked")  # a connection that must give up

        started = time.monotonic()
        with pytest.raises(WarehouseBusyError) as busy:
            connect(loaded.warehouse_path, wait_seconds=0.5)
        assert time.monotonic() - started < 2.5
        message = str(busy.value)
        assert f"the warehouse {loaded.warehouse_path} is locked by another process" in message
        assert (
            "close other sessions on it (analysts: open warehouse/tpn.readonly.duckdb read-only)"
            in message
        )
        TALLY.recovered_from("warehouse locked")

        TALLY.injected("warehouse locked")  # an ingest that must wait
        started = time.monotonic()
        (outcome,) = ingest(
            loaded,
            [GOOD / "rssb_2023-03-31_semicolon_bom_aliases.csv"],
            source="fault injection: restart",
        )
        waited = time.monotonic() - started
    finally:
        analyst.wait(timeout=30)
    assert analyst.returncode == 0
    assert outcome.status == "loaded", outcome.reason
    assert waited > 1.0, "the ingest should have waited for the lock"
    TALLY.recovered_from("warehouse locked")

    # The analyst's work is intact, and the only other change is the loaded week.
    assert query(loaded, "select note from main.analyst_scratch") == [("kept",)]
    after = fingerprint(loaded.warehouse_path)
    changed = {t for t in after if after[t] != before.get(t)}
    assert changed == {"main.analyst_scratch", "landing.rssb_weekly"}
