"""`tpn demo`, `tpn run …`, `tpn backfill`: the flows they load, the exit code of a failed
run, the summary they print. The whole runs are in tests/flows (slow)."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest
import typer
import yaml

from tpn_metrics.cli import runs
from tpn_metrics.cli.output import EXIT_QUARANTINED
from tpn_metrics.emails.deliver import DeliveryReport
from tpn_metrics.ingest.intake import IngestOutcome
from tpn_metrics.runs import RefusedFilesError, RunResult
from tpn_metrics.settings import PROJECT_ROOT, Settings
from tpn_metrics.stages import CorrectionCheck, IngestSummary

TOOL_VARIABLES = (
    "PREFECT_SERVER_ANALYTICS_ENABLED",
    "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS",
    "DO_NOT_TRACK",
    "DBT_SEND_ANONYMOUS_USAGE_STATS",
    "TQDM_DISABLE",
)


@pytest.fixture
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """A Settings on an empty home; the variables load_flow sets are restored afterwards."""
    monkeypatch.setenv("TPN_HOME", str(tmp_path))
    monkeypatch.setenv("PREFECT_HOME", os.environ.get("PREFECT_HOME", str(tmp_path / "prefect")))
    for name in TOOL_VARIABLES:
        monkeypatch.setenv(name, os.environ.get(name, ""))
        if not os.environ[name]:
            monkeypatch.delenv(name)
    return Settings()


def test_the_cli_runs_the_flows_prefect_yaml_deploys():
    deployed = yaml.safe_load((PROJECT_ROOT / "prefect.yaml").read_text(encoding="utf-8"))
    entrypoints = {d["entrypoint"] for d in deployed["deployments"]}
    assert set(runs.FLOW_ENTRYPOINTS) <= entrypoints


@pytest.mark.parametrize(
    ("entrypoint", "name"),
    [
        (runs.DEMO_FLOW, "tpn-demo"),
        (runs.WEEKLY_FLOW, "weekly-cbhi"),
        (runs.ACCREDITATION_FLOW, "annual-accreditation"),
        (runs.BACKFILL_FLOW, "backfill"),
    ],
)
def test_each_entrypoint_loads_its_flow_from_the_project(
    settings: Settings, entrypoint: str, name: str
):
    from prefect import Flow

    loaded = runs.load_flow(settings, entrypoint)
    assert isinstance(loaded, Flow)
    assert loaded.name == name


def test_a_missing_flow_is_an_error_not_a_placeholder(settings: Settings):
    from prefect.exceptions import MissingFlowError

    with pytest.raises(MissingFlowError):
        runs.load_flow(settings, "flows/weekly_cbhi.py:no_such_flow")


def _result(*, emails: bool) -> RunResult:
    loaded = IngestOutcome("week.csv", "a" * 64, "rssb_weekly", "loaded", rows=30)
    return RunResult(
        ingest=IngestSummary((loaded, loaded)),
        tables={"marts.fct_cbhi_weekly": 4_710},
        evaluation=None,
        corrections=CorrectionCheck(30, (), ("Gasabo", "Nyagatare"), ()) if emails else None,
        emails=DeliveryReport(dt.date(2023, 3, 24), 30, 28, 2, 0, 0, (), ()) if emails else None,
    )


def test_a_completed_run_gives_its_result(settings: Settings):
    from prefect.states import Completed

    result = _result(emails=True)
    assert runs._finish(Completed(data=result), settings, runs.WEEKLY_FLOW) is result


@pytest.mark.parametrize(
    ("error", "code"), [(RefusedFilesError("1 file(s) refused"), EXIT_QUARANTINED), (OSError(), 1)]
)
def test_a_failed_run_exits_3_when_only_files_were_refused_else_1(
    settings: Settings, capsys: pytest.CaptureFixture[str], error: Exception, code: int
):
    from prefect.states import Failed

    with pytest.raises(typer.Exit) as exited:
        runs._finish(Failed(data=error, message="run failed: boom"), settings, runs.WEEKLY_FLOW)
    assert exited.value.exit_code == code
    output = capsys.readouterr().out
    assert "run failed: boom" in output
    assert f"{settings.outbox_dir}/failures" in output


def test_a_run_that_returns_something_else_is_a_type_error(settings: Settings):
    from prefect.states import Completed

    with pytest.raises(TypeError, match="not a RunResult"):
        runs._finish(Completed(data={"ingest": None}), settings, runs.WEEKLY_FLOW)


def test_the_weekly_summary_names_files_tables_emails_and_stale_targets(
    settings: Settings, capsys: pytest.CaptureFixture[str]
):
    runs._print_demo_summary(settings, _result(emails=True), 12.4)
    output = capsys.readouterr().out
    assert "TPN demo finished in 12 s" in output
    assert "files loaded" in output and " 2 " in output
    assert "4,710 rows" in output
    assert "not evaluated" in output
    assert "emails for 2023-03-24" in output and "28 new, 2 already sent" in output
    assert "Gasabo, Nyagatare" in output


def test_a_run_without_emails_prints_no_email_row(capsys: pytest.CaptureFixture[str]):
    runs._print_run("Accreditation run", _result(emails=False), dt.datetime.now())
    output = capsys.readouterr().out
    assert "Accreditation run finished in 0 s" in output
    assert "nothing to evaluate yet" in output
    assert "emails" not in output and "stale" not in output
