"""Copy the warehouse's published schemas into another database, all tables or none.

Analysts query a PostgreSQL copy of ``marts``, ``evaluation`` (and ``twinning`` when it
exists) instead of opening the DuckDB file, which a scheduled run needs to write. One publish
is one transaction on the target: every table is emptied (or dropped and re-created when its
columns changed), refilled and described in ``tpn_catalog``, and nothing is visible until the
commit. PostgreSQL's DDL is transactional, so a publish that fails or is killed midway leaves
the target exactly as the previous publish left it.

Tables whose columns are unchanged are emptied with TRUNCATE rather than dropped, so views
that analysts built on them survive a publish. A table whose columns changed is dropped
without CASCADE: if an analyst's view depends on it, the publish fails (and changes nothing)
with PostgreSQL's message naming the view, rather than silently deleting it.

Rows go over PostgreSQL's COPY (psycopg 3) when the target is PostgreSQL, else as batched
INSERTs through SQLAlchemy. Nothing here retries: :func:`is_connection_error` tells a caller
(the Prefect task) which failures are worth another attempt.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import duckdb
import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.pool import NullPool
from sqlalchemy.schema import CreateSchema, SetColumnComment, SetTableComment

from tpn_metrics.publish.catalog import (
    CATALOG_SCHEMA,
    Description,
    catalog_tables,
    load_descriptions,
)
from tpn_metrics.publish.types import sqlalchemy_type
from tpn_metrics.settings import Settings
from tpn_metrics.warehouse import open_warehouse

PUBLISHED_SCHEMAS = ("marts", "evaluation", "twinning")

#: Called with (1-based position, "schema.table") before each table is written, inside the
#: transaction: for progress reporting, and for tests that interrupt a publish midway.
BeforeTable = Callable[[int, str], None]


@dataclass(frozen=True)
class SourceColumn:
    """A warehouse column: its name, its DuckDB type as ``information_schema.columns`` spells
    it (mapped by :func:`tpn_metrics.publish.types.sqlalchemy_type`) and its description."""

    name: str
    duckdb_type: str
    description: str | None = None


@dataclass(frozen=True)
class SourceTable:
    """A warehouse base table to publish: schema, name, columns in ordinal order, description."""

    schema: str
    name: str
    columns: tuple[SourceColumn, ...]
    description: str | None = None

    @property
    def qualified_name(self) -> str:
        """``schema.name``, unquoted."""
        return f"{self.schema}.{self.name}"

    @property
    def signature(self) -> str:
        """JSON ``[[column, DuckDB type], ...]`` in column order, as ``tpn_catalog.tables``
        stores it: an equal signature lets the next publish TRUNCATE instead of re-create."""
        return json.dumps([[c.name, c.duckdb_type] for c in self.columns])


@dataclass(frozen=True)
class PublishReport:
    """What one publish committed: the target URL (password hidden), rows per published
    ``schema.table``, the commit time (UTC), the wall-clock duration in seconds, the row
    transport (``copy`` or ``insert``) and the tables dropped because the warehouse no longer
    has them."""

    target: str  # the URL with its password hidden
    tables: dict[str, int]  # "schema.table" → rows published
    published_at: dt.datetime
    elapsed_seconds: float
    method: str  # "copy" (PostgreSQL) or "insert"
    dropped: tuple[str, ...] = field(default=())  # published before, gone from the warehouse

    @property
    def total_rows(self) -> int:
        """Rows published, summed over every table."""
        return sum(self.tables.values())


def normalise_url(url: str | sa.URL) -> sa.URL:
    """``postgres://`` and ``postgresql://`` go through psycopg 3 (psycopg2 is not installed)."""
    parsed = sa.make_url(url)
    if parsed.drivername in ("postgres", "postgresql"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def safe_url(url: str | sa.URL) -> str:
    """The URL for logs and notices: never the password."""
    try:
        return normalise_url(url).render_as_string(hide_password=True)
    except sa.exc.ArgumentError:
        return "<unparseable database URL>"


def source_tables(
    con: duckdb.DuckDBPyConnection,
    schemas: Iterable[str] = PUBLISHED_SCHEMAS,
    descriptions: dict[str, Description] | None = None,
) -> list[SourceTable]:
    """Base tables of ``schemas`` in the warehouse (views are skipped), from DuckDB's
    ``information_schema``: one :class:`SourceTable` per table, sorted by schema and name,
    columns in ordinal order, described from ``descriptions`` (``schema.table`` →
    :class:`Description`) where given."""
    wanted = list(schemas)
    if not wanted:
        return []
    marks = ", ".join("?" for _ in wanted)
    rows = con.execute(
        f"""
        select columns.table_schema, columns.table_name, columns.column_name, columns.data_type
        from information_schema.columns as columns
        inner join information_schema.tables as tables
            on columns.table_catalog = tables.table_catalog
            and columns.table_schema = tables.table_schema
            and columns.table_name = tables.table_name
        where tables.table_type = 'BASE TABLE'
            and tables.table_catalog = current_database()
            and tables.table_schema in ({marks})
        order by columns.table_schema, columns.table_name, columns.ordinal_position
        """,
        wanted,
    ).fetchall()
    grouped: dict[tuple[str, str], list[tuple[str, str]]] = {}
    for schema, table, column, data_type in rows:
        grouped.setdefault((schema, table), []).append((column, data_type))
    descriptions = descriptions or {}
    found = []
    for (schema, table), columns in grouped.items():
        described = descriptions.get(f"{schema}.{table}", Description())
        found.append(
            SourceTable(
                schema,
                table,
                tuple(SourceColumn(c, t, described.columns.get(c)) for c, t in columns),
                described.table,
            )
        )
    return found


def _target_table(table: SourceTable, metadata: sa.MetaData) -> sa.Table:
    return sa.Table(
        table.name,
        metadata,
        *(
            sa.Column(
                c.name,
                sqlalchemy_type(c.duckdb_type, where=f"{table.qualified_name}.{c.name}"),
                comment=c.description,
            )
            for c in table.columns
        ),
        schema=table.schema,
        comment=table.description,
    )


def _uses_copy(conn: Connection) -> bool:
    return conn.dialect.name == "postgresql" and conn.dialect.driver == "psycopg"


def _empty(conn: Connection, table: sa.Table) -> None:
    if conn.dialect.name == "postgresql":
        name = conn.dialect.identifier_preparer.format_table(table)
        conn.execute(sa.text(f"truncate table {name}"))
    else:
        conn.execute(table.delete())


def _set_comments(conn: Connection, table: sa.Table) -> None:
    if not conn.dialect.supports_comments:
        return
    conn.execute(SetTableComment(table))
    for column in table.columns:
        conn.execute(SetColumnComment(column))


def _previous_signatures(conn: Connection, catalog: sa.Table) -> dict[str, str]:
    """What the last publish recorded: "schema.table" → column signature."""
    inspector = sa.inspect(conn)
    if not inspector.has_table(catalog.name, schema=CATALOG_SCHEMA):
        return {}
    present = {c["name"] for c in inspector.get_columns(catalog.name, schema=CATALOG_SCHEMA)}
    if not {"table_schema", "table_name", "column_signature"} <= present:
        return {}
    rows = conn.execute(
        sa.select(catalog.c.table_schema, catalog.c.table_name, catalog.c.column_signature)
    ).fetchall()
    return {f"{schema}.{name}": signature for schema, name, signature in rows}


def _copy_rows(
    conn: Connection,
    source: duckdb.DuckDBPyConnection,
    table: SourceTable,
    target: sa.Table,
    batch_rows: int,
) -> int:
    names = [c.name for c in table.columns]
    selected = ", ".join('"' + n.replace('"', '""') + '"' for n in names)
    result = source.execute(f'select {selected} from "{table.schema}"."{table.name}"')
    written = 0
    if _uses_copy(conn):
        from psycopg import sql

        statement = sql.SQL("copy {}.{} ({}) from stdin").format(
            sql.Identifier(table.schema),
            sql.Identifier(table.name),
            sql.SQL(", ").join(sql.Identifier(n) for n in names),
        )
        driver = conn.connection.driver_connection
        with driver.cursor() as cursor, cursor.copy(statement) as copy:  # type: ignore[union-attr]
            while batch := result.fetchmany(batch_rows):
                for row in batch:
                    copy.write_row(row)
                written += len(batch)
        return written
    insert = target.insert()
    while batch := result.fetchmany(batch_rows):
        conn.execute(insert, [dict(zip(names, row, strict=True)) for row in batch])
        written += len(batch)
    return written


def _replace_table(
    conn: Connection,
    source: duckdb.DuckDBPyConnection,
    table: SourceTable,
    target: sa.Table,
    previous: dict[str, str],
    batch_rows: int,
) -> int:
    exists = sa.inspect(conn).has_table(table.name, schema=table.schema)
    if exists and previous.get(table.qualified_name) == table.signature:
        _empty(conn, target)
        _set_comments(conn, target)
    else:
        if exists:
            target.drop(conn)  # no CASCADE: an analyst's view on it stops the publish
        target.create(conn)
    return _copy_rows(conn, source, table, target, batch_rows)


def _clear_catalog(conn: Connection, tables: tuple[sa.Table, ...], schemas: set[str]) -> None:
    """Remove the catalog rows of the schemas being published (re-creating the catalog
    tables if an older version of this module made them with other columns)."""
    inspector = sa.inspect(conn)
    for table in tables:
        if inspector.has_table(table.name, schema=CATALOG_SCHEMA):
            present = [c["name"] for c in inspector.get_columns(table.name, schema=CATALOG_SCHEMA)]
            if present == [c.name for c in table.columns]:
                conn.execute(table.delete().where(table.c.table_schema.in_(sorted(schemas))))
                continue
            table.drop(conn)
        table.create(conn)


def _connect_args(url: sa.URL) -> dict[str, object]:
    if url.get_backend_name() == "postgresql" and "connect_timeout" not in url.query:
        return {"connect_timeout": 15}
    return {}


def publish(
    url: str | sa.URL,
    settings: Settings,
    *,
    schemas: Iterable[str] = PUBLISHED_SCHEMAS,
    before_table: BeforeTable | None = None,
    batch_rows: int = 10_000,
    lock_timeout_seconds: float = 120.0,
) -> PublishReport:
    """Copy every base table of ``schemas`` into the database at ``url``, in one transaction.

    Raises FileNotFoundError without a warehouse, ValueError when there is nothing to
    publish, UnsupportedTypeError for a column type with no faithful mapping (before the
    target is touched); any database error rolls the whole publish back.
    """
    target_url = normalise_url(url)
    if not settings.warehouse_path.exists():
        raise FileNotFoundError(
            f"no warehouse at {settings.warehouse_path}: run the weekly flow (or tpn build) first"
        )
    wanted = tuple(schemas)
    descriptions = load_descriptions(settings.dbt_target_dir / "manifest.json")
    started = time.monotonic()
    published_at = dt.datetime.now(dt.UTC)
    with open_warehouse(settings.warehouse_path, read_only=True) as source:
        tables = source_tables(source, wanted, descriptions)
        if not tables:
            raise ValueError(
                f"nothing to publish: no tables in schemas {', '.join(wanted)} of "
                f"{settings.warehouse_path} (run dbt build and the evaluation first)"
            )
        metadata = sa.MetaData()
        # Every type is mapped before the target is touched.
        targets = {t.qualified_name: _target_table(t, metadata) for t in tables}
        catalog, catalog_columns = catalog_tables(metadata)
        engine = sa.create_engine(
            target_url, poolclass=NullPool, connect_args=_connect_args(target_url)
        )
        try:
            with engine.begin() as conn:
                if conn.dialect.name == "postgresql":
                    # Wait this long for an analyst's query to let go of a table, then fail
                    # the publish cleanly instead of queueing every reader behind it.
                    conn.execute(
                        sa.text(f"set local lock_timeout = '{int(lock_timeout_seconds * 1000)}'")
                    )
                method = "copy" if _uses_copy(conn) else "insert"
                # Only the missing ones: CREATE SCHEMA IF NOT EXISTS still needs the CREATE
                # privilege on the database, which a publisher given its schemas may lack.
                existing = set(sa.inspect(conn).get_schema_names())
                for schema in sorted(({t.schema for t in tables} | {CATALOG_SCHEMA}) - existing):
                    conn.execute(CreateSchema(schema))
                previous = _previous_signatures(conn, catalog)
                counts: dict[str, int] = {}
                for position, table in enumerate(tables, start=1):
                    if before_table is not None:
                        before_table(position, table.qualified_name)
                    counts[table.qualified_name] = _replace_table(
                        conn, source, table, targets[table.qualified_name], previous, batch_rows
                    )
                dropped = []
                gone = {n for n in set(previous) - set(targets) if n.split(".", 1)[0] in wanted}
                for name in sorted(gone):
                    schema, table_name = name.split(".", 1)
                    if sa.inspect(conn).has_table(table_name, schema=schema):
                        sa.Table(table_name, sa.MetaData(), schema=schema).drop(conn)
                    dropped.append(name)
                _clear_catalog(conn, (catalog, catalog_columns), set(wanted))
                conn.execute(
                    catalog.insert(),
                    [
                        {
                            "table_schema": t.schema,
                            "table_name": t.name,
                            "row_count": counts[t.qualified_name],
                            "column_count": len(t.columns),
                            "description": t.description,
                            "published_at": published_at,
                            "source_warehouse": str(settings.warehouse_path),
                            "column_signature": t.signature,
                        }
                        for t in tables
                    ],
                )
                conn.execute(
                    catalog_columns.insert(),
                    [
                        {
                            "table_schema": t.schema,
                            "table_name": t.name,
                            "column_name": c.name,
                            "ordinal_position": position,
                            "source_type": c.duckdb_type,
                            "description": c.description,
                        }
                        for t in tables
                        for position, c in enumerate(t.columns, start=1)
                    ],
                )
        finally:
            engine.dispose()
    return PublishReport(
        target=safe_url(target_url),
        tables=counts,
        published_at=published_at,
        elapsed_seconds=time.monotonic() - started,
        method=method,
        dropped=tuple(dropped),
    )
