"""The tables Python writes for analysts, declared once: as dbt sources with typed columns.

``dbt_project/models/python_results/<schema>/_<schema>__sources.yml`` declares each table of
the ``evaluation`` and ``twinning`` schemas: its description (with its grain), every column's
DuckDB ``data_type`` and description, and its primary key (``config.meta.primary_key``). That
one declaration is

- the DDL: :func:`replace_table` creates the table from it (explicit types, primary key)
  before :func:`insert_frame` inserts, so a table has the same columns and types with rows or
  without, and publishes to PostgreSQL either way;
- the documentation: dbt docs show these sources; ``tpn publish`` carries the descriptions to
  PostgreSQL as table and column comments and into ``tpn_catalog`` (tpn_metrics.publish);
- what ``tests/tpn_metrics/test_declared_tables.py`` checks every table against.

Raises :class:`DeclarationError` for a declaration that lacks a type, a description or a key
column, or names a table that is not declared.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import yaml

from tpn_metrics.settings import PROJECT_ROOT
from tpn_metrics.warehouse import registered

DECLARATIONS_DIR = PROJECT_ROOT / "dbt_project" / "models" / "python_results"


class DeclarationError(ValueError):
    """A table declaration is incomplete, or a table is not declared."""


def quoted(identifier: str) -> str:
    """A DuckDB identifier in double quotes (``group`` is a keyword)."""
    return '"' + identifier.replace('"', '""') + '"'


@dataclass(frozen=True)
class DeclaredColumn:
    """One declared column: its name, DuckDB ``data_type`` and description, as written in the
    ``columns:`` list of a table in ``_<schema>__sources.yml`` (description whitespace folded)."""

    name: str
    data_type: str  # a DuckDB type, e.g. varchar, double, bigint, boolean
    description: str


@dataclass(frozen=True)
class DeclaredTable:
    """One declared table of a ``_<schema>__sources.yml``: schema, name, description (its
    grain), its columns in declared order and its primary key (``config.meta.primary_key``,
    empty when the table has none)."""

    schema: str
    name: str
    description: str
    columns: tuple[DeclaredColumn, ...]
    primary_key: tuple[str, ...] = ()

    @property
    def qualified_name(self) -> str:
        """``schema.name``, unquoted (the key of :func:`declared_tables`)."""
        return f"{self.schema}.{self.name}"

    @property
    def column_names(self) -> tuple[str, ...]:
        """The column names in declared order."""
        return tuple(c.name for c in self.columns)

    def ddl(self, *, replace: bool = True) -> str:
        """``create [or replace] table`` with every column typed and the primary key."""
        head = "create or replace table" if replace else "create table if not exists"
        body = [f"{quoted(c.name)} {c.data_type}" for c in self.columns]
        if self.primary_key:
            body.append(f"primary key ({', '.join(quoted(k) for k in self.primary_key)})")
        lines = ",\n    ".join(body)
        return f"{head} {quoted(self.schema)}.{quoted(self.name)} (\n    {lines}\n)"


def _table(schema: str, spec: dict[str, Any], where: str) -> DeclaredTable:
    name = spec.get("name")
    columns = []
    for column in spec.get("columns") or []:
        missing = [k for k in ("name", "data_type", "description") if not column.get(k)]
        if missing:
            raise DeclarationError(f"{where}: {schema}.{name} column {column} lacks {missing}")
        columns.append(
            DeclaredColumn(
                column["name"], str(column["data_type"]), " ".join(column["description"].split())
            )
        )
    description = " ".join(str(spec.get("description") or "").split())
    if not name or not columns or not description:
        raise DeclarationError(f"{where}: table {name!r} needs a name, a description, columns")
    meta = (spec.get("config") or {}).get("meta") or {}
    key = tuple(meta.get("primary_key") or ())
    unknown = [k for k in key if k not in {c.name for c in columns}]
    if unknown:
        raise DeclarationError(f"{where}: {schema}.{name} primary_key names no column {unknown}")
    return DeclaredTable(schema, name, description, tuple(columns), key)


@cache
def declared_tables(directory: Path = DECLARATIONS_DIR) -> dict[str, DeclaredTable]:
    """``schema.table`` → its declaration, from every ``*__sources.yml`` under ``directory``."""
    found: dict[str, DeclaredTable] = {}
    for path in sorted(directory.rglob("*__sources.yml")):
        document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for source in document.get("sources") or []:
            schema = source.get("schema") or source["name"]
            for spec in source.get("tables") or []:
                table = _table(schema, spec, str(path))
                found[table.qualified_name] = table
    return found


def declared_table(schema: str, name: str) -> DeclaredTable:
    """The declaration of ``schema.name``; DeclarationError when it has none."""
    try:
        return declared_tables()[f"{schema}.{name}"]
    except KeyError:
        raise DeclarationError(
            f"{schema}.{name} is not declared in {DECLARATIONS_DIR}: declare it (columns, "
            "data_type, description) before Python writes it"
        ) from None


def replace_table(con: duckdb.DuckDBPyConnection, table: DeclaredTable) -> None:
    """Create (or re-create, empty) the table from its declaration, schema included."""
    con.execute(f"create schema if not exists {quoted(table.schema)}")
    con.execute(table.ddl(replace=True))


def insert_frame(con: duckdb.DuckDBPyConnection, table: DeclaredTable, frame: pd.DataFrame) -> int:
    """Insert ``frame``'s declared columns (others ignored; a missing one is a KeyError),
    each cast to its declared type; NaN and None become NULL. Returns the rows inserted."""
    if not len(frame):
        return 0
    selected = frame.loc[:, list(table.column_names)].astype(object)
    selected = selected.where(selected.notna(), None)
    casts = ", ".join(
        f"cast({quoted(c.name)} as {c.data_type}) as {quoted(c.name)}" for c in table.columns
    )
    target = f"{quoted(table.schema)}.{quoted(table.name)}"
    with registered(con, "declared_frame", selected):
        con.execute(f"insert into {target} select {casts} from declared_frame")
    return len(frame)
