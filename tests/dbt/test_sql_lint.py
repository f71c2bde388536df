"""Lint in CI, not in review: sqlfluff over every model, no violation allowed.

Settings in dbt_project/.sqlfluff: dbt templater, DuckDB dialect, dbt Labs style (lower case,
trailing commas, explicit aliases, 4-space indents, 100 columns). The dbt templater renders
each model as dbt compiles it, so ``is_incremental()`` decides which branch is linted: every
model is linted against a warehouse where the incremental marts exist (their incremental
branch), and the incremental marts once more against an empty one (their full-refresh
branch). sqlfluff runs in its own process, with dbt's target and logs in a temporary folder.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from tpn_metrics.settings import PROJECT_ROOT

pytestmark = pytest.mark.slow

SQLFLUFF = Path(sys.executable).with_name("sqlfluff")
DBT_PROJECT = PROJECT_ROOT / "dbt_project"
INCREMENTAL_MODELS = (
    "models/marts/cbhi/fct_cbhi_weekly.sql",
    "models/marts/cbhi/fct_cbhi_coverage_corrected.sql",
)


def lint(paths: list[str], warehouse: Path, scratch: Path) -> list[str]:
    """One line per violation (``file:line:position CODE description``)."""
    if not SQLFLUFF.exists():
        pytest.skip("sqlfluff is not installed (dev dependency group)")
    environment = {
        **os.environ,
        "TPN_WAREHOUSE_PATH": str(warehouse),
        "DBT_TARGET_PATH": str(scratch / "target"),
        "DBT_LOG_PATH": str(scratch / "logs"),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }
    result = subprocess.run(
        [str(SQLFLUFF), "lint", *paths, "--format", "json", "--nocolor"],
        cwd=DBT_PROJECT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.stdout.strip(), f"sqlfluff printed no report:\n{result.stderr[-3000:]}"
    report = json.loads(result.stdout)
    linted = {entry["filepath"] for entry in report}
    assert len(linted) >= len(paths), f"sqlfluff linted only {sorted(linted)}"
    return [
        f"{entry['filepath']}:{violation['start_line_no']}:{violation['start_line_pos']} "
        f"{violation['code']} {violation['description']}"
        for entry in report
        for violation in entry["violations"]
    ]


def test_every_model_passes_sqlfluff(tmp_path: Path) -> None:
    warehouse = tmp_path / "incremental.duckdb"
    con = duckdb.connect(str(warehouse))
    try:
        con.execute("create schema marts")
        for path in INCREMENTAL_MODELS:
            con.execute(f"create table marts.{Path(path).stem} (district_id varchar)")
    finally:
        con.close()
    models = sorted(
        str(path.relative_to(DBT_PROJECT)) for path in (DBT_PROJECT / "models").rglob("*.sql")
    )
    violations = lint(models, warehouse, tmp_path / "incremental")
    assert not violations, "\n".join(violations)


def test_the_incremental_marts_full_refresh_branch_passes_sqlfluff(tmp_path: Path) -> None:
    violations = lint(list(INCREMENTAL_MODELS), tmp_path / "empty.duckdb", tmp_path / "full")
    assert not violations, "\n".join(violations)
