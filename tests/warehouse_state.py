"""Fingerprint every warehouse table, to prove a refused file changed nothing."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

if TYPE_CHECKING:
    from tpn_metrics.settings import Settings

AUDIT_TABLES = {("landing", "file_ledger")}


def fingerprint(path: Path) -> dict[str, str]:
    """table → sha256 of its sorted rows, for every table except the audit ledger."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        tables = con.execute(
            """
            select table_schema, table_name from information_schema.tables
            where table_type = 'BASE TABLE' order by all
            """
        ).fetchall()
        result = {}
        for schema, table in tables:
            if (schema, table) in AUDIT_TABLES:
                continue
            rows = con.execute(f'select * from "{schema}"."{table}" order by all').fetchall()
            result[f"{schema}.{table}"] = hashlib.sha256(repr(rows).encode()).hexdigest()
        return result
    finally:
        con.close()


def query(settings: Settings, sql: str) -> list[tuple]:
    """Rows of ``sql`` on the warehouse of ``settings``, read-only."""
    con = duckdb.connect(str(settings.warehouse_path), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()
