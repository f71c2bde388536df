"""Tables Python writes keep their declared types when empty, and publish either way (issue 19).

`tpn evaluate --topic accreditation --from 2022 --to 2023`, on a warehouse whose focus and
comparison hospitals start level in 2022 (no regression-to-the-mean caveat), raises no warning
and runs no CBHI comparison, so eval_warnings and both eval_uninsured_* tables are empty.
Typed from the data, eval_warnings reached DuckDB as type NULL and `tpn publish` refused it;
created from their declaration (tpn_metrics.declared_tables) the tables round-trip to
PostgreSQL 15 with their types and comments.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import psycopg
import pytest
from typer.testing import CliRunner

from tests.publish.conftest import copy_home
from tests.publish.pg_server import PostgresServer
from tests.publish.test_sql_publish import PG_TYPE, rows_of_duckdb, rows_of_postgres
from tpn_metrics.cli import app
from tpn_metrics.declared_tables import declared_tables
from tpn_metrics.evaluation.datasets import accreditation_dataset
from tpn_metrics.settings import Settings

pytestmark = pytest.mark.slow

EMPTY_AFTER_ACCREDITATION_ONLY = (
    "evaluation.eval_warnings",
    "evaluation.eval_uninsured_groups",
    "evaluation.eval_uninsured_districts",
)


def _counts(settings: Settings, tables: list[str]) -> dict[str, int]:
    con = duckdb.connect(str(settings.warehouse_path), read_only=True)
    try:
        return {t: con.execute(f"select count(*) from {t}").fetchone()[0] for t in tables}  # type: ignore[index]
    finally:
        con.close()


def level_the_baselines(settings: Settings, baseline_year: int, endline_year: int) -> None:
    """Shift the focus hospitals' baseline scores so both groups start at the same mean."""
    con = duckdb.connect(str(settings.warehouse_path))
    try:
        frame = accreditation_dataset(
            con, baseline_year=baseline_year, endline_year=endline_year
        ).frame.dropna(subset=["baseline", "endline"])
        focus = frame.loc[frame["is_focus"]]
        gap = focus["baseline"].mean() - frame.loc[~frame["is_focus"], "baseline"].mean()
        con.execute(
            "update marts.fct_accreditation set level_2_score_pct = level_2_score_pct - ? "
            "where survey_year = ? and hospital_id in (select unnest(?::varchar[]))",
            [float(gap), baseline_year, list(focus["institution_id"])],
        )
    finally:
        con.close()


def test_an_evaluation_without_warnings_publishes_with_declared_types_and_comments(
    postgres: PostgresServer,
    source_settings: Settings,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
):
    home = copy_home(source_settings, tmp_path / "home")
    level_the_baselines(home, 2022, 2023)
    monkeypatch.setenv("TPN_HOME", str(home.home))
    runner = CliRunner()
    evaluated = runner.invoke(
        app,
        [
            *("evaluate", "--topic", "accreditation"),
            *("--from", "2022", "--to", "2023"),
            "--resamples=200",
        ],
    )
    assert evaluated.exit_code == 0, evaluated.output
    declared = declared_tables()
    counts = _counts(home, [n for n in declared if n.startswith("evaluation.")])
    assert all(counts[t] == 0 for t in EMPTY_AFTER_ACCREDITATION_ONLY), counts
    assert counts["evaluation.eval_tests"] > 0

    postgres.create_database("typed_empty")
    url = postgres.url("typed_empty").replace("postgresql+psycopg://", "postgresql://")
    published = runner.invoke(app, ["publish", "--url", url])

    assert published.exit_code == 0, published.output
    with psycopg.connect(postgres.conninfo("typed_empty")) as con:
        for name, table in declared.items():
            columns = con.execute(
                """
                select column_name, data_type, col_description(
                    format('%%I.%%I', table_schema, table_name)::regclass, ordinal_position)
                from information_schema.columns
                where table_schema = %s and table_name = %s order by ordinal_position
                """,
                [table.schema, table.name],
            ).fetchall()
            assert [
                (column.name, PG_TYPE[column.data_type.upper()], column.description)
                for column in table.columns
            ] == columns, name
            assert rows_of_postgres(con, name) == rows_of_duckdb(home, name), name
        (comment,) = con.execute(  # type: ignore[misc]
            "select obj_description('evaluation.eval_warnings'::regclass)"
        ).fetchone()
        assert comment == declared["evaluation.eval_warnings"].description
