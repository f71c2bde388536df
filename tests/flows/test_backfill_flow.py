"""Backfill, then the yearly accreditation run, then publish, under a real Prefect server.

One history is loaded once for the module (three fiscal years of Fridays, the registry and
the 2021 and 2022 accreditation surveys: ~1 minute), because every test here needs it; the
2023 survey is held back for the annual flow, which then runs on the backfilled warehouse,
and the publish flow copies the result to a real PostgreSQL. Facts about the backfill are
recorded before the annual run changes the warehouse.
"""

from __future__ import annotations

import json
import shutil
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import psycopg
import pytest

from tests.flows.prefect_api import artifacts_of, task_run_names
from tpn_metrics.settings import Settings

pytestmark = pytest.mark.slow

RESAMPLES = 200
FRIDAYS = 157  # FY 2020/21 to 2022/23
DHIS2_EXPORTS = 30  # the sample's DHIS2 files (issue #22), one of each kind of export
DISTRICTS = 30
# Rows of the weekly marts: the sample leaves one district out of one week's file (an
# injected data-quality anomaly, recorded in its manifest).
WEEKLY_ROWS = FRIDAYS * DISTRICTS - 1
HOSPITALS = 42


@dataclass
class Run:
    state: Any
    result: Any
    calls: Counter[str]
    task_runs: list[str]
    ledger: dict[str, int]
    correction_warnings: list[str]
    outbox: list[Path]
    email_rows: int


@dataclass
class History:
    root: Path
    home: Path
    moh_drop: Path
    manifest: dict[str, Any]

    @property
    def settings(self) -> Settings:
        return Settings(home=self.home)


def _query(settings: Settings, sql: str) -> list[tuple[Any, ...]]:
    con = duckdb.connect(str(settings.warehouse_path), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def _run_counting(flow_call: Any, settings: Settings, expected_tasks: int) -> Run:
    """Run a flow, counting ingest calls and dbt builds, then record the warehouse's state."""
    import flows.tasks
    from tpn_metrics import stages

    calls: Counter[str] = Counter()

    def counting(name: str, real: Any) -> Any:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            calls[name] += 1
            return real(*args, **kwargs)

        return wrapper

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(flows.tasks, "ingest_paths", counting("ingest", flows.tasks.ingest_paths))
        patch.setattr(stages, "ingest_paths", counting("ingest", stages.ingest_paths))
        patch.setattr(stages, "build_atomically", counting("dbt build", stages.build_atomically))
        patch.delenv("TPN_SMTP_HOST", raising=False)
        state = flow_call()
    assert state.is_completed(), state.message
    has_emails = _query(
        settings,
        "select count(*) from information_schema.tables "
        "where table_schema = 'ops' and table_name = 'email_deliveries'",
    ) == [(1,)]
    return Run(
        state=state,
        result=state.result(),
        calls=calls,
        task_runs=task_run_names(state.state_details.flow_run_id, expected_tasks),
        ledger=dict(
            _query(settings, "select status, count(*) from landing.file_ledger group by 1")
        ),
        correction_warnings=[
            row[0]
            for row in _query(
                settings,
                "select warnings from landing.file_ledger "
                "where warnings like '%accepted as an RSSB correction%'",
            )
        ],
        outbox=sorted((settings.outbox_dir).glob("**/*.eml")),
        email_rows=_query(settings, "select count(*) from ops.email_deliveries")[0][0]
        if has_emails
        else 0,
    )


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> History:
    from tpn_metrics.sample import generate_sample

    root = tmp_path_factory.mktemp("backfill")
    folder = root / "history"
    generate_sample(folder, 2024)
    moh_drop = root / "moh"
    moh_drop.mkdir()
    shutil.move(folder / "accreditation" / "moh_accreditation_2023.xlsx", moh_drop)
    manifest = json.loads((folder / "manifest.json").read_text())
    return History(folder, root / "home", moh_drop, manifest)


@pytest.fixture(scope="module")
def backfilled(prefect_harness: None, history: History) -> Run:
    from flows.backfill import backfill

    return _run_counting(
        lambda: backfill(
            folder=str(history.root),
            home=str(history.home),
            n_resamples=RESAMPLES,
            progress_every=40,
            return_state=True,
        ),
        history.settings,
        expected_tasks=5,
    )


@pytest.fixture(scope="module")
def accredited(backfilled: Run, history: History) -> Run:
    from flows.annual_accreditation import annual_accreditation

    return _run_counting(
        lambda: annual_accreditation(
            drop_folder=str(history.moh_drop),
            home=str(history.home),
            n_resamples=RESAMPLES,
            return_state=True,
        ),
        history.settings,
        expected_tasks=4,
    )


def test_backfill_loads_every_file_in_one_ingest_call(backfilled: Run):
    assert backfilled.calls["ingest"] == 1
    loaded = FRIDAYS + 2 + 1 + DHIS2_EXPORTS
    assert backfilled.result.ingest.counts == {"loaded": loaded}
    assert backfilled.ledger == {"loaded": loaded}
    ingest_tasks = [n.rsplit("-", 1)[0] for n in backfilled.task_runs if n.startswith("ingest")]
    assert ingest_tasks == ["ingest-batch"]


def test_backfill_loads_the_weeks_in_date_order(backfilled: Run, history: History):
    # Out of order, every week loaded after a later one would look like a correction. In
    # order, only the one correction the generator wrote is flagged.
    correction = history.manifest["rssb_correction"]
    [warning] = backfilled.correction_warnings
    assert correction["district_id"] in warning
    assert f"{correction['corrected_members_paid']:,}" in warning


def test_backfill_builds_checks_and_evaluates_once(backfilled: Run):
    assert backfilled.calls["dbt build"] == 1
    assert sorted(n.rsplit("-", 1)[0] for n in backfilled.task_runs) == [
        "check-population-corrections",
        "count-tables",
        "dbt-build",
        "ingest-batch",
        "refresh-evaluation",
    ]
    tables = backfilled.result.tables
    assert tables["marts.fct_cbhi_weekly"] == WEEKLY_ROWS
    assert tables["marts.fct_accreditation"] == 2 * HOSPITALS
    assert backfilled.result.corrections.rows_checked == WEEKLY_ROWS
    assert len(backfilled.result.corrections.stale_districts) == 7


def test_backfill_sends_no_email(backfilled: Run):
    assert backfilled.outbox == []
    assert backfilled.email_rows == 0
    assert not any(n.startswith("deliver-emails") for n in backfilled.task_runs)


def test_backfill_marks_its_files_so_history_carries_no_timeliness(
    backfilled: Run, history: History
):
    # Issue #21: files loaded by a backfill were not delivered then; the data-quality mart
    # shows their weeks as backfilled, not years late.
    assert _query(
        history.settings,
        "select kind, is_backfill, count(*) from landing.file_ledger "
        "where kind = 'rssb_weekly' group by all",
    ) == [("rssb_weekly", True, FRIDAYS)]
    assert _query(
        history.settings,
        "select timeliness_status, count(*) from marts.fct_dq_cbhi_district_reports group by 1",
    ) == [("backfilled", FRIDAYS * DISTRICTS)]


def test_backfill_reports_progress_and_a_summary(backfilled: Run):
    run_id = backfilled.state.state_details.flow_run_id
    [progress] = artifacts_of(run_id, "tpn-backfill-progress")
    assert progress.type == "progress"
    assert float(progress.data) == pytest.approx(100.0)
    [summary] = artifacts_of(run_id, "tpn-backfill-run")
    assert "No district emails" in summary.data
    assert f"loaded: {FRIDAYS + 2 + 1 + DHIS2_EXPORTS}" in summary.data


def test_annual_accreditation_adds_the_new_survey_without_emails(accredited: Run):
    assert accredited.result.ingest.counts == {"loaded": 1}
    [outcome] = accredited.result.ingest.outcomes
    assert (outcome.kind, outcome.period_key) == ("accreditation", "2023")
    assert accredited.calls == Counter({"ingest": 1, "dbt build": 1})
    assert accredited.result.tables["marts.fct_accreditation"] == 3 * HOSPITALS
    assert accredited.outbox == []
    assert accredited.email_rows == 0
    assert sorted(n.rsplit("-", 1)[0] for n in accredited.task_runs) == [
        "count-tables",
        "dbt-build",
        "ingest-files",
        "refresh-evaluation",
    ]
    [summary] = artifacts_of(accredited.state.state_details.flow_run_id, "tpn-annual-accreditation")
    assert "evaluation" in summary.data.lower()


def test_annual_accreditation_evaluates_2021_to_2023(accredited: Run, history: History):
    rows = _query(
        history.settings,
        "select baseline_label, endline_label, sum(n) from evaluation.eval_group_summaries "
        "where comparison_id = 'accreditation_level_2' group by all",
    )
    assert rows == [("2021", "2023", 38)]


@pytest.fixture(scope="module")
def postgres_url() -> Iterator[tuple[str, str]]:
    from tests.publish.pg_server import PostgresUnavailableError, running_postgres

    try:
        with running_postgres() as server:
            yield server.create_database("analysts"), server.conninfo("analysts")
    except PostgresUnavailableError as error:
        pytest.fail(str(error), pytrace=False)


def test_publish_flow_copies_the_warehouse_for_analysts(
    accredited: Run, history: History, postgres_url: tuple[str, str]
):
    from flows.publish import publish

    url, conninfo = postgres_url
    state = publish(url=url, home=str(history.home), return_state=True)

    assert state.is_completed(), state.message
    report = state.result()
    assert report.tables["marts.fct_cbhi_weekly"] == WEEKLY_ROWS
    assert report.tables["marts.fct_accreditation"] == 3 * HOSPITALS
    with psycopg.connect(conninfo) as con:
        assert con.execute("select count(*) from marts.fct_cbhi_weekly").fetchone() == (
            WEEKLY_ROWS,
        )
        catalog = con.execute("select count(*), sum(row_count) from tpn_catalog.tables").fetchone()
    assert catalog == (len(report.tables), report.total_rows)
    [summary] = artifacts_of(state.state_details.flow_run_id, "tpn-publish")
    assert "marts.fct_cbhi_weekly" in summary.data
