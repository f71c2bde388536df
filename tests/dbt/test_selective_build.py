"""A Friday build runs only what the new week reaches, and leaves the warehouse exactly as a
full build would.

One TPN home (dbt's partial parsing is keyed on the warehouse path), real dbt builds:

1. a first ``build_atomically`` builds everything (nothing recorded: a cold, full parse);
2. one new Friday is loaded: the next build (a partial parse) selects what the RSSB file and
   the file ledger reach, and the models that read the clock, without unit tests;
3. a build with nothing new runs only the model that reads the clock (and its tests);
4. a ``--full-refresh`` build of everything then leaves every table as the selective build
   did (``dbt_loaded_at``, the time a row was written, aside).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import duckdb
import pytest

from tests.dbt.synthetic_history import FIRST_FRIDAY, add_fridays, friday
from tpn_metrics.build_state import read_state
from tpn_metrics.settings import Settings
from tpn_metrics.warehouse import ensure_landing_schema, open_warehouse
from tpn_metrics.warehouse_build import build_atomically
from tpn_metrics.warehouse_swap import build_paths

pytestmark = pytest.mark.slow

WEEKS = 6
BUILT_SCHEMAS = ("reference", "staging", "intermediate", "marts")


def built_tables(path: Path) -> dict[str, str]:
    """schema.table → sha256 of its sorted rows (without dbt_loaded_at), for dbt's schemas."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        tables = con.execute(
            "select table_schema, table_name from information_schema.tables "
            "where table_type = 'BASE TABLE' and table_schema in ? order by all",
            [list(BUILT_SCHEMAS)],
        ).fetchall()
        result = {}
        for schema, table in tables:
            columns = [
                row[0]
                for row in con.execute(
                    "select column_name from information_schema.columns "
                    "where table_schema = ? and table_name = ? "
                    "and column_name <> 'dbt_loaded_at' order by ordinal_position",
                    [schema, table],
                ).fetchall()
            ]
            listed = ", ".join(f'"{column}"' for column in columns)
            rows = con.execute(f'select {listed} from "{schema}"."{table}" order by all').fetchall()
            result[f"{schema}.{table}"] = hashlib.sha256(repr(rows).encode()).hexdigest()
        return result
    finally:
        con.close()


def run_results(settings: Settings) -> list[dict[str, Any]]:
    text = (settings.dbt_target_dir / "run_results.json").read_text("utf-8")
    results: list[dict[str, Any]] = json.loads(text)["results"]
    return results


@pytest.fixture(scope="module")
def observed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    settings = Settings(home=tmp_path_factory.mktemp("selective"))
    paths = build_paths(settings)
    seen: dict[str, Any] = {"settings": settings}
    with open_warehouse(paths.live) as con:
        ensure_landing_schema(con)
        add_fridays(con, settings, FIRST_FRIDAY, WEEKS)
    build_atomically(settings)
    seen["first_state"] = read_state(paths)
    seen["first_nodes"] = {r["unique_id"] for r in run_results(settings)}

    with open_warehouse(paths.live) as con:
        add_fridays(con, settings, friday(WEEKS), 1)
    seen["friday"] = build_atomically(settings)
    seen["friday_state"] = read_state(paths)
    seen["friday_nodes"] = {r["unique_id"] for r in run_results(settings)}
    seen["friday_tables"] = built_tables(paths.live)
    seen["friday_snapshot_tables"] = built_tables(paths.snapshot)

    seen["idle"] = build_atomically(settings)
    seen["idle_state"] = read_state(paths)
    seen["idle_nodes"] = {r["unique_id"] for r in run_results(settings)}
    seen["idle_tables"] = built_tables(paths.live)

    seen["full"] = build_atomically(settings, full_refresh=True)
    seen["full_nodes"] = {r["unique_id"] for r in run_results(settings)}
    seen["full_tables"] = built_tables(paths.live)
    return seen


def test_the_first_build_runs_everything(observed: dict[str, Any]) -> None:
    assert observed["first_state"]["selection"].startswith("full build")
    assert any(uid.startswith("unit_test.") for uid in observed["first_nodes"])
    assert "model.tpn.fct_accreditation" in observed["first_nodes"]


def test_a_friday_build_selects_what_the_new_week_reaches(observed: dict[str, Any]) -> None:
    selection = observed["friday_state"]["selection"]
    assert selection.startswith("sources changed: landing.file_ledger, rssb.rssb_weekly;")
    assert "fct_twinning_pairs" in selection  # reads current_date: rebuilt every time
    nodes = observed["friday_nodes"]
    assert {
        "model.tpn.stg_rssb__weekly_reports",
        "model.tpn.fct_cbhi_weekly",
        "model.tpn.fct_cbhi_coverage_corrected",
        "model.tpn.fct_dq_cbhi_district_reports",
        "model.tpn.fct_twinning_pairs",
    } <= nodes
    # not reached by the RSSB file or the ledger: left as the last build made them
    assert not nodes & {
        "model.tpn.fct_accreditation",
        "model.tpn.stg_moh__accreditation_results",
        "model.tpn.dim_hospital",
        "seed.tpn.dhis2_org_units",
    }
    assert not [uid for uid in nodes if uid.startswith(("unit_test.", "seed."))]
    assert any(uid.startswith("test.tpn.") for uid in nodes)  # data tests of what it built
    assert len(nodes) < len(observed["first_nodes"])
    assert observed["friday"].success


def test_a_build_with_nothing_new_runs_only_what_reads_the_clock(
    observed: dict[str, Any],
) -> None:
    assert observed["idle"].success
    assert observed["idle_state"]["selection"].startswith("no source changed")
    models = {uid for uid in observed["idle_nodes"] if uid.startswith("model.")}
    assert models == {"model.tpn.fct_twinning_pairs"}
    assert observed["idle_tables"] == observed["friday_tables"]


def test_a_selective_build_leaves_what_a_full_build_would(observed: dict[str, Any]) -> None:
    assert any(uid.startswith("unit_test.") for uid in observed["full_nodes"])
    friday_tables = observed["friday_tables"]
    assert "marts.fct_cbhi_weekly" in friday_tables
    assert "marts.fct_accreditation" in friday_tables
    assert friday_tables == observed["full_tables"]
    assert observed["friday_snapshot_tables"] == friday_tables
