"""`tpn evaluate` on a real warehouse: headlines printed, wrong periods refused before anything
is written (exit 2, one line), the last good report and tables kept."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from tpn_metrics.cli import app
from tpn_metrics.settings import Settings
from tpn_metrics.stages import run_evaluation

pytestmark = pytest.mark.slow

runner = CliRunner()
RESAMPLES = ["--resamples", "300"]


def evaluate(*args: str):  # type: ignore[no-untyped-def]
    return runner.invoke(app, ["evaluate", *args, *RESAMPLES])


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def tables(home: Path) -> dict[str, list[tuple]]:
    con = duckdb.connect(str(Settings(home=home).warehouse_path), read_only=True)
    try:
        names = [
            row[0]
            for row in con.execute(
                "select table_name from information_schema.tables "
                "where table_schema = 'evaluation' order by 1"
            ).fetchall()
        ]
        assert "eval_tests" in names
        return {
            name: con.execute(f"select * from evaluation.{name} order by all").fetchall()
            for name in names
        }
    finally:
        con.close()


def test_evaluate_prints_a_headline_per_comparison(home: Path):
    result = evaluate()
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    for title in (
        "Hospital accreditation, level-2 score (2021 → 2023)",
        "CBHI coverage, as reported by RSSB",
        "CBHI coverage, corrected with census projections",
        "Decline of the uninsured share, reported coverage",
        "Decline of the uninsured share, corrected coverage",
    ):
        line = next((x for x in lines if x.startswith(title)), None)
        assert line is not None, f"no headline for {title}: {result.stdout}"
        assert re.search(r"effect [+−]\d+\.\d ", line), line
        assert re.search(r"95% interval [+−]\d+\.\d to [+−]\d+\.\d", line), line
        assert re.search(r"p (=|<) 0\.\d{3} \(one-sided\)", line), line
    accreditation = next(x for x in lines if x.startswith("Hospital accreditation"))
    assert accreditation.endswith("— baseline-adjusted (ANCOVA)")
    uninsured = next(x for x in lines if x.startswith("Decline of the uninsured share, rep"))
    assert "% of the baseline uninsured share" in uninsured
    assert "focus +" in uninsured  # a decline: positive when the uninsured share fell
    assert "evaluation.eval_tests" not in result.stdout  # results, not row counts


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--topic", "accreditation", "--from", "2019"],
            "no accreditation survey for 2019: surveys loaded are 2021, 2023",
        ),
        (
            ["--topic", "accreditation", "--from", "2023", "--to", "2021"],
            "--from 2023 is not before --to 2021",
        ),
        (
            ["--topic", "accreditation", "--from", "2021-03"],
            "accreditation surveys are yearly: give a year such as 2021",
        ),
        (
            ["--topic", "cbhi_enrollment", "--from", "2030-01-01", "--to", "2031-01-01"],
            "2030-01-01 is outside the loaded CBHI reports (2021-02-26 to 2023-04-07)",
        ),
        (
            ["--topic", "cbhi_enrollment", "--from", "2022-01-14"],
            "the CBHI report nearest to 2022-01-14 is",
        ),
        (
            ["--topic", "cbhi_enrollment", "--from", "2023-03-23", "--to", "2021-03-23"],
            "--from 2023-03-23 is not before --to 2021-03-23",
        ),
        (
            ["--topic", "cbhi_enrollment", "--from", "2021-03-24", "--to", "2021-03-25"],
            "both fall on the report of 2021-03-26",
        ),
        (["--topic", "cbhi_enrollment", "--from", "23/03/2021"], "is not a period"),
        (
            # Week 40 of fiscal year 2020/21 against week 34 of 2022/23: coverage is
            # cumulative from each 1 July, so these reports measure different things.
            ["--topic", "cbhi_enrollment", "--from", "2021-04-09", "--to", "2023-02-24"],
            "are 6 weeks apart in the fiscal year (more than 4, dbt var "
            "evaluation_max_fiscal_week_distance)",
        ),
    ],
)
def test_wrong_periods_exit_2_with_one_line_and_keep_the_last_report(
    home: Path, args: list[str], message: str
):
    good = evaluate()
    assert good.exit_code == 0, good.output
    report = home / "reports" / "evaluation.html"
    before_report, before_tables = digest(report), tables(home)

    result = evaluate(*args)
    assert result.exit_code == 2, result.output
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert "Traceback" not in result.output
    assert digest(report) == before_report
    assert tables(home) == before_tables


def test_the_report_distance_threshold_is_the_dbt_var(home: Path, tmp_path: Path):
    """2021-04-30 lies 21 days after the last loaded report of its window (2021-04-09):
    refused at the default of 14 days, naming the var; accepted once dbt_project.yml says 30,
    because Python reads the value from dbt's project file rather than keeping its own."""
    far = evaluate("--topic", "cbhi_enrollment", "--from", "2021-04-30")
    assert far.exit_code == 2
    assert "21 days away (more than 14, dbt var evaluation_max_report_distance_days)" in far.stderr

    project = tmp_path / "project" / "dbt_project"
    project.mkdir(parents=True)
    text = (Settings().dbt_project_dir / "dbt_project.yml").read_text(encoding="utf-8")
    assert "evaluation_max_report_distance_days: 14" in text
    (project / "dbt_project.yml").write_text(
        text.replace(
            "evaluation_max_report_distance_days: 14", "evaluation_max_report_distance_days: 30"
        ),
        encoding="utf-8",
    )
    outputs = run_evaluation(
        Settings(home=home, project_root=project.parent),
        n_resamples=300,
        topics=("cbhi_enrollment",),
        start="2021-04-30",
    )
    assert outputs.headlines[0].periods.startswith("2021-04-09 (nearest to 2021-04-30)")


def test_on_the_default_periods_a_topic_not_loaded_yet_is_skipped_and_named(home: Path):
    """A backfill before the 2023 survey arrives still evaluates CBHI; asked for explicitly,
    accreditation is refused."""
    con = duckdb.connect(str(Settings(home=home).warehouse_path))
    try:
        con.execute("delete from marts.fct_accreditation where survey_year = 2023")
    finally:
        con.close()
    result = evaluate()
    assert result.exit_code == 0, result.output
    assert not any(x.startswith("Hospital accreditation") for x in result.stdout.splitlines())
    assert any(x.startswith("CBHI coverage, as reported") for x in result.stdout.splitlines())
    report = (home / "reports" / "evaluation.html").read_text(encoding="utf-8")
    assert "accreditation not evaluated: no accreditation survey for 2023" in report
    assert (
        "accreditation",
        "not evaluated: no accreditation survey for 2023: surveys loaded are 2021",
    ) in tables(home)["eval_warnings"]

    explicit = evaluate("--topic", "accreditation")
    assert explicit.exit_code == 2
    assert "no accreditation survey for 2023: surveys loaded are 2021" in explicit.stderr
