"""`tpn evaluate` on a DHIS2 service topic: a month the warehouse does not hold is refused in
one line (exit 2) and nothing is written; a good month range evaluates and prints headlines.

The warehouse is a real DuckDB file holding hand-made marts (tests/.../service_marts.py).
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from tests.tpn_metrics.evaluation.service_marts import build_service_marts
from tpn_metrics.cli import app
from tpn_metrics.settings import Settings

runner = CliRunner()


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("TPN_HOME", str(tmp_path))
    settings = Settings(home=tmp_path)
    settings.warehouse_path.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(settings.warehouse_path))
    build_service_marts(con)
    con.close()
    return tmp_path


@pytest.mark.parametrize(
    ("arguments", "expected"),
    [
        (
            ["--from", "2019-03", "--to", "2023-03"],
            "no DHIS2 monthly data for anc1_coverage_pct in 2019-03: 36 months are loaded, "
            "2020-07 to 2023-06",
        ),
        (
            ["--from", "2021", "--to", "2023"],
            "anc_first_visit is compared on monthly DHIS2 reports: give a month such as "
            "2021-03, not '2021'",
        ),
        (
            ["--from", "2023-03", "--to", "2021-03"],
            "--from 2023-03 is not before --to 2021-03: the baseline month must come before "
            "the endline month",
        ),
    ],
)
def test_a_month_without_data_exits_2_in_one_line(home: Path, arguments, expected):
    result = runner.invoke(app, ["evaluate", "--topic", "anc_first_visit", *arguments])
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert result.output.strip() == f"error: {expected}"
    with duckdb.connect(str(Settings(home=home).warehouse_path), read_only=True) as con:
        written = con.execute(
            "select count(*) from information_schema.tables where table_schema = 'evaluation'"
        ).fetchone()
    assert written == (0,)  # refused before anything was written


def test_an_unknown_topic_names_the_evaluable_ones(home: Path):
    result = runner.invoke(app, ["evaluate", "--topic", "hand_hygiene"])
    assert result.exit_code == 2
    assert result.output.strip() == (
        "error: no metric in the warehouse for topic 'hand_hygiene': use one of accreditation, "
        "cbhi_enrollment, anc_first_visit, birth_asphyxia, malnutrition, stock_outs, "
        "family_planning, data_quality"
    )
