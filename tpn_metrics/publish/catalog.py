"""What analysts see next to the published tables: a table of contents, with descriptions.

Model and column descriptions come from dbt's ``manifest.json`` (written by every dbt build
under ``settings.dbt_target_dir``); the tables Python writes (``evaluation``, ``twinning``)
from their one declaration (:mod:`tpn_metrics.declared_tables`, the dbt source YAML), whether
or not a manifest exists. A missing or unreadable manifest only leaves the marts undescribed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa

from tpn_metrics.declared_tables import declared_tables

CATALOG_SCHEMA = "tpn_catalog"


@dataclass(frozen=True)
class Description:
    """A table's description (None: undocumented) and its columns' descriptions by column
    name (undocumented columns absent), from a declaration or dbt's ``manifest.json``."""

    table: str | None = None
    columns: dict[str, str] = field(default_factory=dict)


def load_descriptions(manifest_path: Path) -> dict[str, Description]:
    """``schema.table`` → descriptions: the tables Python writes from their declarations
    (tpn_metrics.declared_tables), the others from a dbt manifest (models, seeds, snapshots)."""
    found = {
        name: Description(table.description, {c.name: c.description for c in table.columns})
        for name, table in declared_tables().items()
    }
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return found
    for node in (manifest.get("nodes") or {}).values():
        if node.get("resource_type") not in ("model", "seed", "snapshot"):
            continue
        name = f"{node.get('schema')}.{node.get('alias') or node.get('name')}"
        columns = {
            column: text.strip()
            for column, spec in (node.get("columns") or {}).items()
            if (text := (spec or {}).get("description") or "").strip()
        }
        found[name] = Description((node.get("description") or "").strip() or None, columns)
    return found


def catalog_tables(metadata: sa.MetaData) -> tuple[sa.Table, sa.Table]:
    """``tpn_catalog.tables`` (one row per published table: row and column counts, description,
    UTC publish time, source warehouse, column signature) and ``tpn_catalog.columns`` (one row
    per published column: position, DuckDB type, description), defined on ``metadata``."""
    tables = sa.Table(
        "tables",
        metadata,
        sa.Column("table_schema", sa.String(), primary_key=True),
        sa.Column("table_name", sa.String(), primary_key=True),
        sa.Column("row_count", sa.BigInteger(), nullable=False),
        sa.Column("column_count", sa.Integer(), nullable=False),
        sa.Column("description", sa.Text()),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("source_warehouse", sa.String(), nullable=False),
        # [[column, DuckDB type], ...]: decides whether the next publish can keep the table.
        sa.Column("column_signature", sa.Text(), nullable=False),
        schema=CATALOG_SCHEMA,
        comment="Table of contents of the TPN warehouse copy: one row per published table.",
    )
    columns = sa.Table(
        "columns",
        metadata,
        sa.Column("table_schema", sa.String(), primary_key=True),
        sa.Column("table_name", sa.String(), primary_key=True),
        sa.Column("column_name", sa.String(), primary_key=True),
        sa.Column("ordinal_position", sa.Integer(), nullable=False),
        sa.Column("source_type", sa.String(), nullable=False),
        sa.Column("description", sa.Text()),
        schema=CATALOG_SCHEMA,
        comment="Columns of the published tables, with their DuckDB type and description.",
    )
    return tables, columns
