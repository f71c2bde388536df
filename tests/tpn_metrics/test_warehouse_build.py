"""The atomic publish's guards, with dbt replaced by a stand-in that writes the building copy
(fast: no dbt run). The real builds are in test_warehouse_build.py.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import duckdb
import pytest

from tpn_metrics import warehouse_build
from tpn_metrics.build_selection import source_signatures
from tpn_metrics.build_state import full_refresh_reason, incremental_fingerprints, read_state
from tpn_metrics.dbt_runner import DbtBuildError, DbtRunOutcome
from tpn_metrics.settings import Settings
from tpn_metrics.warehouse import open_warehouse
from tpn_metrics.warehouse_build import BuildInputs, build_atomically
from tpn_metrics.warehouse_swap import (
    BuildLockedError,
    BuildPaths,
    ConcurrentWriteError,
    build_lock,
    build_paths,
)


class FakeDbt:
    """Stands in for ``run_dbt``: a build writes ``marts.result`` into the file it is given."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.value = 0
        self.succeed = True
        self.during_build: Callable[[], None] | None = None
        self.commands: list[tuple[str, ...]] = []

    def __call__(
        self,
        args: Sequence[str],
        settings: Settings,
        *,
        warehouse_path: Path | None = None,
        target_dir: Path | None = None,
        manifest: Any = None,
    ) -> DbtRunOutcome:
        assert warehouse_path == build_paths(settings).building  # never the live file
        self.commands.append(tuple(args))
        if args[0] == "build":
            self.value += 1
            with open_warehouse(warehouse_path) as con:
                con.execute("create schema if not exists marts")
                con.execute(f"create or replace table marts.result as select {self.value} as v")
            if self.during_build is not None:
                self.during_build()
            settings.dbt_target_dir.mkdir(parents=True, exist_ok=True)
            (settings.dbt_target_dir / "run_results.json").write_text(
                json.dumps({"results": [{"unique_id": "model.tpn.fct_x", "status": "success"}]})
            )
        return DbtRunOutcome(
            command=tuple(args),
            success=self.succeed,
            failed_nodes=(),
            status_counts={},
            elapsed_seconds=0.0,
            error=None if self.succeed else "a test failed",
        )


#: A manifest declaring one source, the file ledger: its real content signature is taken.
LEDGER_ONLY: dict[str, Any] = {
    "nodes": {},
    "sources": {
        "source.tpn.landing.file_ledger": {
            "source_name": "landing",
            "name": "file_ledger",
            "schema": "landing",
            "identifier": "file_ledger",
        }
    },
}


def inputs_of(definition: str) -> Callable[[Settings, BuildPaths], BuildInputs]:
    """Stands in for the parse: the definitions are fixed, the ledger's signature is real."""

    def read(settings: Settings, paths: BuildPaths) -> BuildInputs:
        with open_warehouse(paths.building, read_only=True) as con:
            sources = source_signatures(con, LEDGER_ONLY)
        return BuildInputs(
            manifest=None,
            incremental={"model.tpn.fct_x": definition},
            project=f"project-{definition}",
            sources=sources,
            manifest_json=LEDGER_ONLY,
        )

    return read


@pytest.fixture
def fake_dbt(monkeypatch: pytest.MonkeyPatch, settings: Settings) -> FakeDbt:
    fake = FakeDbt(settings)
    monkeypatch.setattr(warehouse_build, "run_dbt", fake)
    monkeypatch.setattr(warehouse_build, "read_build_inputs", inputs_of("definition-1"))
    return fake


def value(path: Path) -> int:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute("select v from marts.result").fetchone()[0]  # type: ignore[index]
    finally:
        con.close()


def landing_files(path: Path) -> list[str]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        rows = con.execute("select file_sha256 from landing.file_ledger").fetchall()
        return [row[0] for row in rows]
    finally:
        con.close()


def record_a_file(path: Path, sha: str) -> None:
    with open_warehouse(path) as con:
        con.execute(
            "insert into landing.file_ledger (file_sha256, file_name, kind, received_at, status, "
            "reason, warnings, row_count, period_key, superseded_by, stored_path) values "
            "(?, 'f.csv', 'rssb_weekly', now(), 'loaded', null, null, 1, 'p', null, 'x')",
            [sha],
        )


def test_publish_replaces_the_files_while_readers_keep_theirs(
    settings: Settings, fake_dbt: FakeDbt
) -> None:
    paths = build_paths(settings)
    build_atomically(settings)
    assert value(paths.live) == value(paths.snapshot) == 1
    record_a_file(paths.live, "ingested-before-the-build")
    analyst = duckdb.connect(str(paths.snapshot), read_only=True)
    try:
        build_atomically(settings)
        # the analyst's session still reads the snapshot it opened (the old inode)
        assert analyst.execute("select v from marts.result").fetchone() == (1,)
    finally:
        analyst.close()
    assert value(paths.live) == value(paths.snapshot) == 2
    assert landing_files(paths.live) == ["ingested-before-the-build"]  # the copy had it
    assert not paths.building.exists()
    assert not paths.snapshot_partial.exists()


def test_a_write_during_the_build_is_kept_and_nothing_published(
    settings: Settings, fake_dbt: FakeDbt
) -> None:
    paths = build_paths(settings)
    build_atomically(settings)
    record_a_file(paths.live, "ingested-before-the-build")  # something to build
    fake_dbt.during_build = lambda: record_a_file(paths.live, "ingested-during-the-build")
    with pytest.raises(ConcurrentWriteError, match="written by another process"):
        build_atomically(settings)
    assert landing_files(paths.live) == ["ingested-before-the-build", "ingested-during-the-build"]
    assert value(paths.live) == value(paths.snapshot) == 1
    assert not paths.building.exists()


def test_a_failed_build_publishes_nothing(settings: Settings, fake_dbt: FakeDbt) -> None:
    paths = build_paths(settings)
    build_atomically(settings)
    state = read_state(paths)
    record_a_file(paths.live, "a-new-file")
    fake_dbt.succeed = False
    with pytest.raises(DbtBuildError):
        build_atomically(settings)
    assert value(paths.live) == value(paths.snapshot) == 1
    assert not paths.building.exists()
    assert read_state(paths) == state


def test_a_second_build_waits_for_the_lock_then_gives_up(
    settings: Settings, fake_dbt: FakeDbt
) -> None:
    paths = build_paths(settings)
    with build_lock(paths.lock), pytest.raises(BuildLockedError):
        build_atomically(settings, lock_wait_seconds=0.2)
    assert fake_dbt.commands == []
    build_atomically(settings)  # free again
    assert fake_dbt.commands[-1][0] == "build"


def test_leftovers_of_a_killed_build_are_discarded(settings: Settings, fake_dbt: FakeDbt) -> None:
    paths = build_paths(settings)
    paths.live.parent.mkdir(parents=True)
    paths.building.write_bytes(b"half a warehouse")
    paths.snapshot_partial.write_bytes(b"half a snapshot")
    build_atomically(settings)
    assert value(paths.live) == 1
    assert not paths.building.exists()
    assert not paths.snapshot_partial.exists()


def test_full_refresh_when_nothing_is_recorded_or_the_definition_changed(
    settings: Settings, fake_dbt: FakeDbt, monkeypatch: pytest.MonkeyPatch
) -> None:
    paths = build_paths(settings)
    build_atomically(settings)
    assert fake_dbt.commands[-1][-1] == "--full-refresh"
    assert read_state(paths)["incremental_models"] == {"model.tpn.fct_x": "definition-1"}
    record_a_file(paths.live, "a-new-file")
    build_atomically(settings)
    assert "--full-refresh" not in fake_dbt.commands[-1]
    monkeypatch.setattr(warehouse_build, "read_build_inputs", inputs_of("definition-2"))
    build_atomically(settings)
    assert fake_dbt.commands[-1][-1] == "--full-refresh"
    assert read_state(paths)["full_refresh_reason"] == "definition changed: fct_x"
    build_atomically(settings, full_refresh=True)
    assert fake_dbt.commands[-1][-1] == "--full-refresh"


def test_a_build_selects_what_changed_sources_reach_and_skips_when_nothing_changed(
    settings: Settings, fake_dbt: FakeDbt
) -> None:
    paths = build_paths(settings)
    build_atomically(settings)
    assert "--select" not in fake_dbt.commands[-1]  # nothing recorded: everything
    assert "source.tpn.landing.file_ledger" in read_state(paths)["source_signatures"]
    record_a_file(paths.live, "a-new-file")
    build_atomically(settings)
    assert fake_dbt.commands[-1] == (
        "build",
        "--select",
        "source:landing.file_ledger+",
        "--exclude-resource-type",
        "unit_test",
    )
    assert read_state(paths)["selection"] == "sources changed: landing.file_ledger"
    builds, inode = len(fake_dbt.commands), paths.live.stat().st_ino
    outcome = build_atomically(settings)  # no new data, no new definition: nothing to run
    assert outcome.success
    assert len(fake_dbt.commands) == builds
    assert paths.live.stat().st_ino == inode  # nothing swapped in
    assert not paths.building.exists()
    assert value(paths.live) == value(paths.snapshot) == 2
    build_atomically(settings, full_refresh=True)  # a forced build runs everything
    assert "--select" not in fake_dbt.commands[-1]


# --- definition fingerprints ---------------------------------------------------------------

MANIFEST: dict[str, Any] = {
    "nodes": {
        "model.tpn.fct_weekly": {
            "resource_type": "model",
            "unique_id": "model.tpn.fct_weekly",
            "checksum": {"name": "sha256", "checksum": "w1"},
            "config": {"materialized": "incremental", "unique_key": ["district_id"]},
            "columns": {"district_id": {"data_type": "varchar", "constraints": []}},
            "depends_on": {"macros": ["macro.tpn.fiscal_year"], "nodes": ["model.tpn.stg"]},
        },
        "model.tpn.stg": {
            "resource_type": "model",
            "unique_id": "model.tpn.stg",
            "checksum": {"name": "sha256", "checksum": "s1"},
            "config": {"materialized": "view"},
            "depends_on": {"macros": [], "nodes": ["seed.tpn.shares"]},
        },
        "seed.tpn.shares": {
            "resource_type": "seed",
            "unique_id": "seed.tpn.shares",
            "checksum": {"name": "sha256", "checksum": "csv1"},
            "config": {"materialized": "seed"},
            "depends_on": {"macros": []},
        },
        "model.tpn.dim_other": {
            "resource_type": "model",
            "unique_id": "model.tpn.dim_other",
            "checksum": {"name": "sha256", "checksum": "o1"},
            "config": {"materialized": "table"},
            "depends_on": {"macros": ["macro.tpn.other"], "nodes": []},
        },
    },
    "macros": {
        "macro.tpn.fiscal_year": {
            "macro_sql": "{% macro fiscal_year() %}1{% endmacro %}",
            "depends_on": {"macros": ["macro.tpn.helper"]},
        },
        "macro.tpn.helper": {"macro_sql": "h1", "depends_on": {"macros": []}},
        "macro.tpn.other": {"macro_sql": "x1", "depends_on": {"macros": []}},
    },
    "parent_map": {
        "model.tpn.fct_weekly": ["model.tpn.stg", "source.tpn.rssb.weekly"],
        "model.tpn.stg": ["seed.tpn.shares"],
        "seed.tpn.shares": [],
        "model.tpn.dim_other": [],
    },
}
VARS = {"saturation_weeks": 4}


def changed(path: Sequence[str], new: object, variables: dict[str, Any] = VARS) -> str:
    manifest = copy.deepcopy(MANIFEST)
    target: Any = manifest
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = new
    return incremental_fingerprints(manifest, variables)["model.tpn.fct_weekly"]


def test_fingerprints_cover_what_an_incremental_model_depends_on() -> None:
    base = incremental_fingerprints(MANIFEST, VARS)
    assert set(base) == {"model.tpn.fct_weekly"}  # only incremental models
    assert incremental_fingerprints(copy.deepcopy(MANIFEST), dict(VARS)) == base
    digest = base["model.tpn.fct_weekly"]
    # the seed's file, an upstream model, a macro used by a macro, a var, a contract
    assert changed(["nodes", "seed.tpn.shares", "checksum", "checksum"], "csv2") != digest
    assert changed(["nodes", "model.tpn.stg", "checksum", "checksum"], "s2") != digest
    assert changed(["macros", "macro.tpn.helper", "macro_sql"], "h2") != digest
    assert (
        incremental_fingerprints(MANIFEST, {"saturation_weeks": 5})["model.tpn.fct_weekly"]
        != digest
    )
    column = ["nodes", "model.tpn.fct_weekly", "columns", "district_id", "data_type"]
    assert changed(column, "integer") != digest
    # what it does not depend on
    assert changed(["nodes", "model.tpn.dim_other", "checksum", "checksum"], "o2") == digest
    assert changed(["macros", "macro.tpn.other", "macro_sql"], "x2") == digest


def test_full_refresh_reason() -> None:
    current = {"model.tpn.a": "1", "model.tpn.b": "2"}
    assert full_refresh_reason({}, current) is not None
    assert full_refresh_reason(dict(current), current) is None
    assert full_refresh_reason({"model.tpn.a": "1"}, current) == "definition changed: b"
