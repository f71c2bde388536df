"""Pure parts of publishing: type mapping, URLs, descriptions (no database needed)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from tpn_metrics.declared_tables import declared_table, declared_tables
from tpn_metrics.publish import UnsupportedTypeError, normalise_url, safe_url
from tpn_metrics.publish.catalog import load_descriptions
from tpn_metrics.publish.types import sqlalchemy_type


@pytest.mark.parametrize(
    ("duckdb_type", "postgres_type"),
    [
        ("BIGINT", "BIGINT"),
        ("INTEGER", "INTEGER"),
        ("DOUBLE", "DOUBLE PRECISION"),
        ("DECIMAL(18,3)", "NUMERIC(18, 3)"),
        ("VARCHAR", "VARCHAR"),
        ("BOOLEAN", "BOOLEAN"),
        ("DATE", "DATE"),
        ("TIMESTAMP", "TIMESTAMP WITHOUT TIME ZONE"),
        ("TIMESTAMP WITH TIME ZONE", "TIMESTAMP WITH TIME ZONE"),
        ("HUGEINT", "NUMERIC(39, 0)"),
        ("ubigint", "NUMERIC(20, 0)"),
    ],
)
def test_duckdb_types_map_to_the_same_postgres_types(duckdb_type: str, postgres_type: str):
    compiled = sqlalchemy_type(duckdb_type).compile(dialect=postgresql.dialect())
    assert compiled == postgres_type


@pytest.mark.parametrize("duckdb_type", ["INTEGER[]", "STRUCT(a INTEGER)", "MAP(VARCHAR, INTEGER)"])
def test_nested_types_are_refused_with_the_column_named(duckdb_type: str):
    with pytest.raises(UnsupportedTypeError, match=r"marts\.t\.c has DuckDB type"):
        sqlalchemy_type(duckdb_type, where="marts.t.c")


@pytest.mark.reliability
def test_postgres_urls_go_through_psycopg_and_never_show_the_password():
    assert normalise_url("postgres://u:p@h/db").drivername == "postgresql+psycopg"
    assert normalise_url("postgresql://u@h/db").drivername == "postgresql+psycopg"
    assert normalise_url("postgresql+psycopg2://u@h/db").drivername == "postgresql+psycopg2"
    assert safe_url("postgresql://u:s3cret@h:5432/db") == "postgresql+psycopg://u:***@h:5432/db"
    assert "s3cret" not in safe_url(sa.make_url("postgresql://u:s3cret@h/db"))


def test_descriptions_come_from_the_dbt_manifest_and_survive_its_absence(tmp_path: Path):
    manifest = tmp_path / "manifest.json"
    manifest.write_text(
        json.dumps(
            {
                "nodes": {
                    "model.tpn.dim_district": {
                        "resource_type": "model",
                        "schema": "marts",
                        "name": "dim_district",
                        "alias": "dim_district",
                        "description": "Districts. Grain: district_id.\n",
                        "columns": {"district_id": {"description": "District key."}},
                    },
                    "test.tpn.x": {"resource_type": "test", "schema": "marts", "name": "x"},
                }
            }
        )
    )
    found = load_descriptions(manifest)
    assert found["marts.dim_district"].table == "Districts. Grain: district_id."
    assert found["marts.dim_district"].columns == {"district_id": "District key."}
    assert "marts.x" not in found
    # The tables Python writes are described by their declaration, with or without a manifest.
    tests = declared_table("evaluation", "eval_tests")
    assert found["evaluation.eval_tests"].table == tests.description
    p_value = next(c for c in tests.columns if c.name == "p_value")
    assert found["evaluation.eval_tests"].columns["p_value"] == p_value.description
    assert (
        set(load_descriptions(tmp_path / "missing.json"))
        == set(declared_tables())
        == {d for d in found if d.startswith(("evaluation.", "twinning."))}
    )
