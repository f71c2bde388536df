"""Every table Python writes for analysts has one declaration, the same types empty or full."""

from __future__ import annotations

import math
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from tpn_metrics.declared_tables import (
    DeclarationError,
    DeclaredTable,
    declared_table,
    declared_tables,
    insert_frame,
    replace_table,
)
from tpn_metrics.publish.types import sqlalchemy_type
from tpn_metrics.settings import PROJECT_ROOT
from tpn_metrics.twinning.warehouse import TABLE_NAMES

DECLARED = declared_tables()
#: One value of each declared DuckDB type, for a full row.
SAMPLE = {"varchar": "x", "double": 1.5, "bigint": 2**40, "integer": 7, "boolean": True}


def _types_on_file(con: duckdb.DuckDBPyConnection, table: DeclaredTable) -> list[tuple[str, str]]:
    return con.execute(
        "select column_name, data_type from information_schema.columns "
        "where table_schema = ? and table_name = ? order by ordinal_position",
        [table.schema, table.name],
    ).fetchall()


def _declared_types(table: DeclaredTable) -> list[tuple[str, str]]:
    return [(c.name, c.data_type.upper()) for c in table.columns]


def test_the_evaluation_and_twinning_tables_are_all_declared():
    assert {n for n in DECLARED if n.startswith("evaluation.")} == {
        "evaluation.eval_group_summaries",
        "evaluation.eval_tests",
        "evaluation.eval_institution_changes",
        "evaluation.eval_warnings",
        "evaluation.eval_uninsured_groups",
        "evaluation.eval_uninsured_districts",
    }
    assert {n for n in DECLARED if n.startswith("twinning.")} == {
        f"twinning.{t}" for t in TABLE_NAMES
    }


@pytest.mark.parametrize("name", sorted(DECLARED))
def test_a_declared_table_has_its_declared_types_empty_and_full(name: str):
    table = DECLARED[name]
    con = duckdb.connect()
    replace_table(con, table)
    empty = pd.DataFrame(columns=list(table.column_names))  # object columns, no rows
    assert insert_frame(con, table, empty) == 0
    assert _types_on_file(con, table) == _declared_types(table)
    full = pd.DataFrame(
        [
            {c.name: SAMPLE[c.data_type] for c in table.columns},
            {c.name: None if c.name not in table.primary_key else "y" for c in table.columns},
        ]
    )
    if not table.primary_key:
        full.iloc[1, 0] = "y"
    replace_table(con, table)  # replaces the table, emptied
    assert insert_frame(con, table, full) == 2
    assert _types_on_file(con, table) == _declared_types(table)
    assert con.execute(f'select count(*) from {table.schema}."{table.name}"').fetchall() == [(2,)]


@pytest.mark.parametrize("name", sorted(DECLARED))
def test_every_declared_column_is_described_and_publishable(name: str):
    table = DECLARED[name]
    assert "Grain:" in table.description, name
    for column in table.columns:
        assert column.description.strip(), f"{name}.{column.name}"
        sqlalchemy_type(column.data_type, where=f"{name}.{column.name}")  # raises if unmapped


def test_the_primary_key_is_enforced_and_nan_becomes_null():
    table = declared_table("evaluation", "eval_institution_changes")
    con = duckdb.connect()
    replace_table(con, table)
    row = {
        "comparison_id": "c",
        "institution_id": "h1",
        "institution_name": "H1",
        "is_focus": True,
        "baseline": math.nan,
        "endline": 50.0,
        "change": math.nan,
    }
    insert_frame(con, table, pd.DataFrame([row]))
    assert con.execute(
        "select baseline is null, change is null from evaluation.eval_institution_changes"
    ).fetchall() == [(True, True)]
    with pytest.raises(duckdb.ConstraintException):
        insert_frame(con, table, pd.DataFrame([row]))
    with pytest.raises(KeyError):
        insert_frame(con, table, pd.DataFrame([{"comparison_id": "c"}]))


def test_an_undeclared_table_or_an_untyped_column_is_refused(tmp_path: Path):
    with pytest.raises(DeclarationError, match=r"evaluation\.eval_unknown is not declared"):
        declared_table("evaluation", "eval_unknown")
    folder = tmp_path / "results"
    folder.mkdir()
    (folder / "_x__sources.yml").write_text(
        "sources:\n  - name: x\n    tables:\n      - name: t\n        description: T.\n"
        "        columns:\n          - name: a\n            description: A.\n",
        encoding="utf-8",
    )
    with pytest.raises(DeclarationError, match=r"x\.t column .* lacks \['data_type'\]"):
        declared_tables(folder)


def test_docs_name_every_declared_table():
    warehouse_md = (PROJECT_ROOT / "docs" / "warehouse.md").read_text(encoding="utf-8")
    missing = [n for n in DECLARED if f"`{n}`" not in warehouse_md]
    assert not missing, missing
