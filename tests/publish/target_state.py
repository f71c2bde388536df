"""Fingerprint a publish target: every table of the published schemas, its columns and rows."""

from __future__ import annotations

import psycopg

SCHEMAS = ("marts", "evaluation", "twinning", "tpn_catalog")


def target_fingerprint(conninfo: str, *, ignore_published_at: bool = False) -> dict[str, object]:
    """Table name → (columns with types, row count, md5 of the sorted rows as JSON)."""
    row_json = "(to_jsonb(t) - 'published_at')" if ignore_published_at else "to_jsonb(t)"
    result: dict[str, object] = {}
    with psycopg.connect(conninfo, autocommit=True) as con:
        con.execute("set lock_timeout = '20s'")
        tables = con.execute(
            """
            select table_schema, table_name from information_schema.tables
            where table_schema = any(%s) order by 1, 2
            """,
            [list(SCHEMAS)],
        ).fetchall()
        for schema, table in tables:
            columns = con.execute(
                """
                select column_name, data_type, numeric_precision, numeric_scale
                from information_schema.columns
                where table_schema = %s and table_name = %s order by ordinal_position
                """,
                [schema, table],
            ).fetchall()
            count, digest = con.execute(
                f"""
                select count(*), md5(coalesce(string_agg({row_json}::text, E'\\n'
                    order by {row_json}::text), ''))
                from "{schema}"."{table}" as t
                """
            ).fetchone()  # type: ignore[misc]
            result[f"{schema}.{table}"] = (tuple(columns), count, digest)
    return result
