"""The analysts' read-only snapshot follows every write they read: the dbt build, the
evaluation tables, the twinning tables (tpn_metrics.snapshot)."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from tests.warehouse_state import fingerprint
from tpn_metrics import stages
from tpn_metrics.settings import PROJECT_ROOT, Settings
from tpn_metrics.warehouse_swap import build_paths

GOOD = Path(__file__).resolve().parents[1] / "fixtures" / "ingest" / "good"

#: Modules that open the live warehouse for writing without refreshing the snapshot, and why
#: analysts do not read what they write. A new writer must use
#: tpn_metrics.snapshot.writing_for_analysts, or be added here with its reason.
WRITERS_ANALYSTS_DO_NOT_READ = {
    "tpn_metrics/ingest/intake.py": "landing.* and the ledger; marts change at the build",
    "tpn_metrics/ingest/payments.py": "landing.cbhi_payments; marts change at the build",
    "tpn_metrics/ingest/housekeeping.py": "dismiss: the ledger's status; marts change at the build",
    "tpn_metrics/stages.py": "run_emails: ops.email_deliveries",
    "tpn_metrics/emails/late_alert.py": "ops.late_file_alerts",
    "tpn_metrics/emails/quality_alert.py": "ops.data_quality_alerts",
    "tpn_metrics/dbt_runner.py": "creates the landing schema before an in-place dbt build",
    "tpn_metrics/warehouse_swap.py": "checkpoints; swaps the built copy in, refreshes the snapshot",
    "tpn_metrics/snapshot.py": "the snapshot's own refresh",
}


def test_every_warehouse_writer_refreshes_the_snapshot_or_says_why_not():
    pattern = re.compile(r"(?<!def )open_warehouse\((?![^)]*read_only=True)")
    writers = {
        str(path.relative_to(PROJECT_ROOT))
        for path in (PROJECT_ROOT / "tpn_metrics").rglob("*.py")
        if pattern.search(path.read_text(encoding="utf-8"))
    }
    assert writers <= set(WRITERS_ANALYSTS_DO_NOT_READ), sorted(
        writers - set(WRITERS_ANALYSTS_DO_NOT_READ)
    )


def _tables(path: Path, schema: str) -> dict[str, str]:
    return {name: digest for name, digest in fingerprint(path).items() if name.startswith(schema)}


def _group_summary_rows(path: Path) -> int:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return int(
            con.execute("select count(*) from evaluation.eval_group_summaries").fetchone()[0]
        )  # type: ignore[index]
    finally:
        con.close()


@pytest.mark.slow
def test_snapshot_follows_build_evaluation_and_twinning(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
):
    stages.run_ingest(
        settings,
        [
            GOOD / "registry",
            GOOD / "accreditation_2022_fractions.csv",
            GOOD / "accreditation_2023_percent.csv",
            GOOD / "rssb_2023-03-24_canonical.csv",
            GOOD / "rssb_2023-03-31_semicolon_bom_aliases.csv",
        ],
        today=dt.date(2026, 11, 23),
    )
    stages.run_dbt_build(settings)
    live, snapshot = settings.warehouse_path, build_paths(settings).snapshot
    assert _tables(snapshot, "marts.") == _tables(live, "marts.") != {}

    stages.run_evaluation(
        settings, n_resamples=50, topics=("accreditation",), start="2022", end="2023"
    )
    first = _tables(live, "evaluation.")
    assert first and _tables(snapshot, "evaluation.") == first
    assert _tables(snapshot, "twinning.") == _tables(live, "twinning.") != {}

    # The case: another evaluation replaces the tables; the snapshot follows.
    stages.run_evaluation(
        settings,
        n_resamples=50,
        topics=("cbhi_enrollment",),
        start="2023-03-24",
        end="2023-03-31",
    )
    second = _tables(live, "evaluation.")
    assert second != first
    assert _tables(snapshot, "evaluation.") == second
    assert _group_summary_rows(snapshot) == _group_summary_rows(live)

    # `tpn twinning recommend` writes twinning.* on its own.
    from tpn_metrics.cli import app

    monkeypatch.setenv("TPN_HOME", str(settings.home))
    before = build_paths(settings).snapshot.stat().st_mtime_ns
    result = CliRunner().invoke(app, ["twinning", "recommend", "--capacity", "1"])
    assert result.exit_code == 0, result.output
    assert build_paths(settings).snapshot.stat().st_mtime_ns > before
    assert _tables(snapshot, "twinning.") == _tables(live, "twinning.")
