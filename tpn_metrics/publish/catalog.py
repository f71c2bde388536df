"""What analysts see next to the published tables: a table of contents, with descriptions.

Model and column descriptions come from dbt's ``manifest.json`` (written by every dbt build
under ``settings.dbt_target_dir``); the evaluation tables, written by Python, are described
here. A missing or unreadable manifest only leaves descriptions empty.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa

CATALOG_SCHEMA = "tpn_catalog"

#: Tables written by tpn_metrics.evaluation.runner (no dbt YAML describes them).
EVALUATION_DESCRIPTIONS = {
    "evaluation.eval_group_summaries": (
        "Baseline, endline and mean change per comparison and group (TPN focus vs "
        "comparison), in percentage points. Grain: one row per comparison_id x group."
    ),
    "evaluation.eval_tests": (
        "Estimates, p-values and intervals of each comparison, one per statistical method. "
        "Grain: one row per comparison_id x method."
    ),
    "evaluation.eval_institution_changes": (
        "Each institution's baseline, endline and change in each comparison. "
        "Grain: one row per comparison_id x institution_id."
    ),
    "evaluation.eval_warnings": (
        "Caveats found while evaluating (e.g. regression to the mean, a district left out and "
        "why). Grain: one row per comparison_id x warning."
    ),
    "evaluation.eval_uninsured_groups": (
        "Decline of the uninsured share (100 - coverage) as the 2024 paper computes it, on the "
        "group means: (u0 - u1) / u0 in percent of the baseline uninsured share, for reported "
        "and corrected coverage. Grain: one row per comparison_id (coverage) x group."
    ),
    "evaluation.eval_uninsured_districts": (
        "Each district's uninsured share at baseline and endline, its own relative decline "
        "where defined, and excluded_reason when it is left out (e.g. coverage above 100 %). "
        "Grain: one row per comparison_id (coverage) x institution_id."
    ),
}


@dataclass(frozen=True)
class Description:
    table: str | None = None
    columns: dict[str, str] = field(default_factory=dict)


def load_descriptions(manifest_path: Path) -> dict[str, Description]:
    """``schema.table`` → descriptions, from a dbt manifest (models, seeds, snapshots)."""
    found = {name: Description(table=text) for name, text in EVALUATION_DESCRIPTIONS.items()}
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
    """``tpn_catalog.tables`` (one row per published table) and ``tpn_catalog.columns``."""
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
