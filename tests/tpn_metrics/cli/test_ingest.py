"""The operator's commands: output a person can act on, exit codes a script can use."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tpn_metrics.cli import EXIT_QUARANTINED, app

runner = CliRunner()


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("TPN_HOME", str(tmp_path))
    return tmp_path


def test_help_lists_the_commands():
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    for command in ("ingest", "ledger", "quarantine", "demo", "sample", "evaluate", "emails"):
        assert command in result.output


def test_ingest_good_file_exits_0_and_ledger_shows_it(home: Path, fixtures: Path):
    good = fixtures / "ingest/good/rssb_2023-03-24_canonical.csv"
    result = runner.invoke(app, ["ingest", str(good)])
    assert result.exit_code == 0, result.output
    assert "loaded" in result.output
    assert "validation results: file://" in result.output
    ledger = runner.invoke(app, ["ledger"])
    assert ledger.exit_code == 0
    assert "rssb_2023-03-24_canonical.csv" in ledger.output
    assert runner.invoke(app, ["quarantine"]).exit_code == 0


def test_quarantined_file_exits_3_and_quarantine_lists_the_reason(home: Path, fixtures: Path):
    drop = home / "drop"
    drop.mkdir()
    shutil.copyfile(fixtures / "ingest/good/rssb_2023-03-24_canonical.csv", drop / "good.csv")
    shutil.copyfile(fixtures / "ingest/bad/rssb_future_date.csv", drop / "bad.csv")
    result = runner.invoke(app, ["ingest", str(drop)])
    assert result.exit_code == EXIT_QUARANTINED
    listed = runner.invoke(app, ["quarantine"])
    assert listed.exit_code == EXIT_QUARANTINED
    assert "report_date 2031-01-03 is in the future" in listed.output


def test_missing_path_is_a_usage_error(home: Path):
    result = runner.invoke(app, ["ingest", str(home / "nope.csv")])
    assert result.exit_code == 2
    assert "no such file" in result.output


def test_sample_is_deterministic(home: Path):
    first = runner.invoke(app, ["sample", "--out", str(home / "a"), "--seed", "7"])
    second = runner.invoke(app, ["sample", "--out", str(home / "b"), "--seed", "7"])
    assert first.exit_code == second.exit_code == 0
    assert (home / "a/manifest.json").read_bytes() == (home / "b/manifest.json").read_bytes()
    # the data-quality anomalies injected on purpose are named, one line each
    assert first.output.count("injected (") == 5
    assert "injected (timeliness): the file of 2022-02-11" in first.output
