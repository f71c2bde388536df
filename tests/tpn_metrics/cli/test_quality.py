"""`tpn dq`: the scorecard, flagged values and email lines of a week; one-line errors (exit 2)
for an unknown week, a district without a row, and a warehouse without the marts."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from tests.tpn_metrics.quality.dq_marts import build_dq_marts
from tpn_metrics.cli import app

runner = CliRunner()


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("TPN_HOME", str(tmp_path))
    (tmp_path / "warehouse").mkdir()
    build_dq_marts(tmp_path / "warehouse" / "tpn.duckdb")
    return tmp_path


def _run(*argv: str) -> tuple[int, str]:
    result = runner.invoke(app, ["dq", *argv], terminal_width=200)
    assert "Traceback" not in result.output
    return result.exit_code, " ".join(result.output.split())


def test_the_latest_week(home: Path):
    code, output = _run()
    assert code == 0, output
    assert "RSSB report of 2023-03-24: 3 of 3 districts in the file, 3 flagged value(s)" in output
    assert "│ Kicukiro │ ok │ FLAGGED (1) │ ok │ ok │ FLAGGED (1) │ ok │" in output
    assert "│ Nyarugenge │ ok │ ok │ ok │ n/a │ ok │ ok │" in output
    assert (
        "Gasabo: Your data this week: on time, complete, one unusual value: members paid rose "
        "by 41,200 (usual weekly rise about 3,000)" in output
    )
    assert "accreditation 2023 H001" in output


def test_one_district_and_week(home: Path):
    code, output = _run("--district", "Nyarugenge", "--week", "2023-03-17")
    assert code == 0, output
    assert "0 flagged value(s)" in output and "Gasabo" not in output
    assert "Nyarugenge: Your data this week: on time, complete, no unusual value" in output


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--week", "2023-03-23"], "nearest reviewed: 2023-03-17, 2023-03-24"),
        (["--district", "Huye"], "--district huye: no row for it in the review of 2023-03-24"),
    ],
)
def test_wrong_arguments_exit_2_with_one_line(home: Path, argv: list[str], message: str):
    code, output = _run(*argv)
    assert code == 2 and message in output and output.count("error:") == 1


def test_a_warehouse_without_the_marts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("TPN_HOME", str(tmp_path))
    (tmp_path / "warehouse").mkdir()
    duckdb.connect(str(tmp_path / "warehouse" / "tpn.duckdb")).close()
    code, output = _run()
    assert code == 2 and "no data-quality marts" in output and "tpn build" in output
