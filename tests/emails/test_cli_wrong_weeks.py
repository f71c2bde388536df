"""Wrong arguments against a real warehouse (the session's small built one): a week RSSB did
not report, an unknown table or SHA, a period outside the data. Each exits 2 with one line
naming what is accepted; a warehouse whose marts are not built yet says to run `tpn build`."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from tests.emails.support import SampleWeeks
from tpn_metrics.cli import app
from tpn_metrics.settings import Settings

pytestmark = pytest.mark.slow
runner = CliRunner()


def run(settings: Settings, monkeypatch: pytest.MonkeyPatch, *argv: str):
    monkeypatch.setenv("TPN_HOME", str(settings.home))
    monkeypatch.delenv("TPN_SMTP_HOST", raising=False)
    return runner.invoke(app, list(argv))


def one_line_exit_2(result, *fragments: str) -> None:
    assert "Traceback" not in result.output
    assert result.exit_code == 2, (result.exception, result.output)
    if "Usage:" not in result.output:  # click's own usage errors: see test_cli_bad_arguments
        assert len(result.output.strip().splitlines()) == 1, result.output
    for fragment in fragments:
        assert fragment in result.output, result.output


def test_a_week_rssb_did_not_report_names_the_nearest_loaded(
    settings: Settings, sample_weeks: SampleWeeks, monkeypatch: pytest.MonkeyPatch
):
    first, second = sample_weeks.loaded[:2]
    saturday = first + dt.timedelta(days=1)
    nearest = f"nearest loaded: {first}, {second}"
    for argv in (
        ("emails", "preview", "Gasabo", "--week", str(saturday)),
        ("emails", "send", "--dry-run", "--week", str(saturday)),
    ):
        one_line_exit_2(run(settings, monkeypatch, *argv), f"--week {saturday}", nearest)
    assert not settings.outbox_dir.exists() or not any(settings.outbox_dir.rglob("*.eml"))
    good = run(settings, monkeypatch, "emails", "preview", "Gasabo", "--week", str(first))
    assert good.exit_code == 0, good.output
    assert f"gasabo-{first}.html" in good.output


@pytest.mark.parametrize(
    ("argv", "fragment"),
    [
        (("emails", "preview", "Kigali"), "Gasabo, Kicukiro, Nyarugenge"),
        (("emails", "preview", "Gasbo"), None),  # one typo: resolved, not an error
        (("export", "marts.no_such_table", "{home}/out.csv"), "no_such_table"),
        (("quarantine", "dismiss", "ffffff", "--reason", "sent twice"), "ffffff"),
        (("ingest", "--replay", "ffffff"), "ffffff"),
        (
            (
                "evaluate",
                "--topic",
                "cbhi_enrollment",
                "--from",
                "2010-01-01",
                "--to",
                "2023-06-30",
            ),
            "2010-01-01",
        ),
    ],
)
def test_wrong_arguments_against_a_built_warehouse(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, argv: tuple[str, ...], fragment: str | None
):
    result = run(settings, monkeypatch, *(a.replace("{home}", str(settings.home)) for a in argv))
    if fragment is None:
        assert result.exit_code == 0, result.output
    else:
        one_line_exit_2(result, fragment)


def test_a_warehouse_without_marts_says_to_build(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    settings = Settings(home=tmp_path)
    settings.warehouse_path.parent.mkdir(parents=True)
    duckdb.connect(str(settings.warehouse_path)).close()
    for argv in (
        ("emails", "preview", "Gasabo"),
        ("emails", "send", "--dry-run"),
        ("evaluate", "--resamples", "10"),
        ("publish", "--url", "postgresql://nobody@127.0.0.1:1/tpn"),
    ):
        one_line_exit_2(run(settings, monkeypatch, *argv), "run `tpn build`")
