"""Publishing to a real PostgreSQL server: faithful, repeatable, all tables or none."""

from __future__ import annotations

import datetime as dt
import math
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import duckdb
import psycopg
import pytest
import sqlalchemy as sa

from tests.publish.conftest import copy_home
from tests.publish.pg_server import PostgresServer
from tests.publish.target_state import target_fingerprint
from tests.reliability.tally import TALLY
from tpn_metrics.publish import UnsupportedTypeError, is_connection_error, publish
from tpn_metrics.settings import Settings
from tpn_metrics.stages import MART_TABLES

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]

#: What information_schema.columns.data_type must say on PostgreSQL for each DuckDB type.
PG_TYPE = {
    "BIGINT": "bigint",
    "INTEGER": "integer",
    "SMALLINT": "smallint",
    "TINYINT": "smallint",
    "HUGEINT": "numeric",
    "DOUBLE": "double precision",
    "FLOAT": "real",
    "VARCHAR": "character varying",
    "BOOLEAN": "boolean",
    "DATE": "date",
    "TIME": "time without time zone",
    "TIMESTAMP": "timestamp without time zone",
    "TIMESTAMP WITH TIME ZONE": "timestamp with time zone",
    "INTERVAL": "interval",
    "UUID": "uuid",
    "BLOB": "bytea",
}

CHANGES = """
delete from marts.fct_cbhi_weekly
where report_date = (select min(report_date) from marts.fct_cbhi_weekly);
alter table marts.dim_district add column published_note varchar default 'changed';
drop table evaluation.eval_warnings;
update evaluation.eval_group_summaries set n = n + 1;
"""


def duckdb_tables(settings: Settings) -> dict[str, list[tuple[str, str]]]:
    con = duckdb.connect(str(settings.warehouse_path), read_only=True)
    try:
        rows = con.execute(
            """
            select c.table_schema || '.' || c.table_name, c.column_name, c.data_type
            from information_schema.columns as c
            inner join information_schema.tables as t using (table_schema, table_name)
            where t.table_type = 'BASE TABLE'
                and c.table_schema in ('marts', 'evaluation', 'twinning')
            order by c.table_schema, c.table_name, c.ordinal_position
            """
        ).fetchall()
    finally:
        con.close()
    tables: dict[str, list[tuple[str, str]]] = {}
    for name, column, data_type in rows:
        tables.setdefault(name, []).append((column, data_type))
    return tables


def _norm(value: object) -> object:
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        return value.astimezone(dt.UTC)
    if isinstance(value, float) and math.isnan(value):
        return "NaN"
    if isinstance(value, memoryview):
        return bytes(value)
    return value


def rows_of_duckdb(settings: Settings, table: str) -> Counter[tuple[object, ...]]:
    con = duckdb.connect(str(settings.warehouse_path), read_only=True)
    try:
        rows = con.execute(f"select * from {table}").fetchall()
    finally:
        con.close()
    return Counter(tuple(_norm(v) for v in row) for row in rows)


def rows_of_postgres(con: psycopg.Connection, table: str) -> Counter[tuple[object, ...]]:
    rows = con.execute(f"select * from {table}").fetchall()
    return Counter(tuple(_norm(v) for v in row) for row in rows)


@pytest.fixture(scope="module")
def changed_source(source_settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """The source after a week of changes: fewer rows, a new column, a table gone."""
    changed = copy_home(source_settings, tmp_path_factory.mktemp("changed") / "home")
    con = duckdb.connect(str(changed.warehouse_path))
    try:
        con.execute(CHANGES)
    finally:
        con.close()
    return changed


def test_publish_round_trips_every_table_with_its_types_and_rows(
    postgres: PostgresServer, source_settings: Settings
):
    url = postgres.create_database("round_trip")
    report = publish(url, source_settings)
    source = duckdb_tables(source_settings)

    assert report.method == "copy"
    assert set(MART_TABLES) <= set(report.tables)
    assert "twinning.publish_type_probe" in report.tables
    assert set(report.tables) == set(source)
    with psycopg.connect(postgres.conninfo("round_trip")) as con:
        for table, columns in source.items():
            schema, name = table.split(".")
            published = con.execute(
                """
                select column_name, data_type, numeric_precision, numeric_scale
                from information_schema.columns
                where table_schema = %s and table_name = %s order by ordinal_position
                """,
                [schema, name],
            ).fetchall()
            assert [c for c, *_ in published] == [c for c, _ in columns], table
            for (column, duck_type), (_, pg_type, precision, scale) in zip(
                columns, published, strict=True
            ):
                if duck_type.startswith("DECIMAL("):
                    p, s = duck_type[len("DECIMAL(") : -1].split(",")
                    assert (pg_type, precision, scale) == ("numeric", int(p), int(s)), column
                else:
                    assert pg_type == PG_TYPE[duck_type], f"{table}.{column} ({duck_type})"
            expected = rows_of_duckdb(source_settings, table)
            assert report.tables[table] == sum(expected.values())
            assert rows_of_postgres(con, table) == expected, table


def test_catalog_lists_every_table_with_its_dbt_description(
    postgres: PostgresServer, source_settings: Settings
):
    url = postgres.create_database("catalog")
    report = publish(url, source_settings)
    with psycopg.connect(postgres.conninfo("catalog")) as con:
        catalog = {
            f"{schema}.{table}": (rows, description)
            for schema, table, rows, description in con.execute(
                "select table_schema, table_name, row_count, description from tpn_catalog.tables"
            )
        }
        column_description = con.execute(
            """
            select description from tpn_catalog.columns
            where table_schema = 'marts' and table_name = 'dim_district'
                and column_name = 'district_id'
            """
        ).fetchone()
        comment = con.execute("select obj_description('marts.dim_district'::regclass)").fetchone()
    assert {name: rows for name, (rows, _) in catalog.items()} == report.tables
    assert catalog["marts.dim_district"][1].startswith("Rwanda's 30 districts")
    assert catalog["evaluation.eval_tests"][1]  # described here, not by dbt
    assert column_description is not None
    assert "District key" in column_description[0]
    assert comment is not None
    assert comment[0] == catalog["marts.dim_district"][1]


def test_publishing_again_changes_nothing_and_keeps_analyst_views(
    postgres: PostgresServer, source_settings: Settings
):
    url = postgres.create_database("again")
    publish(url, source_settings)
    conninfo = postgres.conninfo("again")
    with psycopg.connect(conninfo, autocommit=True) as con:
        con.execute("create schema analyst")
        con.execute("create view analyst.districts as select district_id from marts.dim_district")
    before = target_fingerprint(conninfo, ignore_published_at=True)

    report = publish(url, source_settings)

    assert target_fingerprint(conninfo, ignore_published_at=True) == before
    assert report.tables["marts.dim_district"] == 30
    with psycopg.connect(conninfo) as con:
        assert con.execute("select count(*) from analyst.districts").fetchone() == (30,)


@pytest.mark.reliability
@pytest.mark.parametrize("fail_at", ["third", "last"])
def test_a_publish_failing_midway_leaves_the_target_as_it_was(
    postgres: PostgresServer, source_settings: Settings, changed_source: Settings, fail_at: str
):
    url = postgres.create_database(f"fail_{fail_at}")
    publish(url, source_settings)
    before = target_fingerprint(postgres.conninfo(f"fail_{fail_at}"))
    last = len(duckdb_tables(changed_source))
    position = 3 if fail_at == "third" else last
    reached: list[str] = []

    def fail(index: int, table: str) -> None:
        reached.append(table)
        if index == position:
            raise RuntimeError(f"injected failure before {table}")

    TALLY.injected("publish")
    with pytest.raises(RuntimeError, match="injected failure"):
        publish(url, changed_source, before_table=fail)

    assert len(reached) == position
    assert target_fingerprint(postgres.conninfo(f"fail_{fail_at}")) == before
    TALLY.recovered_from("publish")


@pytest.mark.reliability
def test_a_publish_killed_midway_leaves_the_target_as_it_was(
    postgres: PostgresServer, source_settings: Settings, changed_source: Settings, tmp_path: Path
):
    url = postgres.create_database("killed")
    publish(url, source_settings)
    conninfo = postgres.conninfo("killed")
    before = target_fingerprint(conninfo)
    marker = tmp_path / "reached"
    script = (
        "import pathlib, sys, time\n"
        "from tpn_metrics.publish import publish\n"
        "from tpn_metrics.settings import Settings\n"
        "marker = pathlib.Path(sys.argv[3])\n"
        "def hold(index, table):\n"
        "    if index == 8:\n"
        "        marker.write_text(table)\n"
        "        time.sleep(300)\n"
        "publish(sys.argv[1], Settings(home=pathlib.Path(sys.argv[2])), before_table=hold)\n"
    )
    victim = subprocess.Popen(
        [
            sys.executable,
            "-c",
            script,
            postgres.url("killed", application_name="tpn-publish-victim"),
            str(changed_source.home),
            str(marker),
        ],
        cwd=ROOT,
    )
    try:
        deadline = time.monotonic() + 60
        while not marker.exists():
            assert victim.poll() is None, "the publishing process ended before the kill"
            assert time.monotonic() < deadline, "the publishing process never got midway"
            time.sleep(0.05)
        with psycopg.connect(conninfo) as con:  # seven tables replaced, uncommitted
            (busy,) = con.execute(
                "select count(*) from pg_stat_activity "
                "where application_name = 'tpn-publish-victim' and state = 'idle in transaction'"
            ).fetchone()  # type: ignore[misc]
            assert busy == 1
        os.kill(victim.pid, signal.SIGKILL)
        TALLY.injected("publish")
    finally:
        victim.wait(timeout=30)
    assert victim.returncode == -signal.SIGKILL
    with psycopg.connect(conninfo, autocommit=True) as con:
        deadline = time.monotonic() + 30
        while con.execute(
            "select count(*) from pg_stat_activity where application_name = 'tpn-publish-victim'"
        ).fetchone() != (0,):
            assert time.monotonic() < deadline, "the killed session never went away"
            time.sleep(0.1)
    assert target_fingerprint(conninfo) == before

    # The next publish, started again, replaces everything: the target is the changed source.
    report = publish(url, changed_source)
    assert report.dropped == ("evaluation.eval_warnings",)
    with psycopg.connect(conninfo) as con:
        for table in ("marts.fct_cbhi_weekly", "marts.dim_district"):
            assert rows_of_postgres(con, table) == rows_of_duckdb(changed_source, table), table
    TALLY.recovered_from("publish")


def test_a_changed_warehouse_is_published_whole(
    postgres: PostgresServer, source_settings: Settings, changed_source: Settings
):
    url = postgres.create_database("changed")
    first = publish(url, source_settings)
    report = publish(url, changed_source)

    assert report.dropped == ("evaluation.eval_warnings",)
    assert report.tables["marts.fct_cbhi_weekly"] == first.tables["marts.fct_cbhi_weekly"] - 30
    with psycopg.connect(postgres.conninfo("changed")) as con:
        assert con.execute(
            "select count(*) from marts.dim_district where published_note = 'changed'"
        ).fetchone() == (30,)
        assert con.execute("select to_regclass('evaluation.eval_warnings')").fetchone() == (None,)
        catalog = con.execute("select table_schema || '.' || table_name from tpn_catalog.tables")
        listed = {row[0] for row in catalog}
    assert listed == set(report.tables)


def test_a_changed_table_under_an_analyst_view_stops_the_publish_cleanly(
    postgres: PostgresServer, source_settings: Settings, changed_source: Settings
):
    url = postgres.create_database("view_blocks")
    publish(url, source_settings)
    conninfo = postgres.conninfo("view_blocks")
    with psycopg.connect(conninfo, autocommit=True) as con:
        con.execute("create view public.districts as select * from marts.dim_district")
    before = target_fingerprint(conninfo)

    with pytest.raises(sa.exc.DBAPIError, match="depend") as raised:
        publish(url, changed_source)

    assert not is_connection_error(raised.value)  # no point retrying this
    assert target_fingerprint(conninfo) == before


def test_an_unmappable_column_type_fails_before_the_target_is_touched(
    postgres: PostgresServer, source_settings: Settings, tmp_path: Path
):
    odd = copy_home(source_settings, tmp_path / "home")
    con = duckdb.connect(str(odd.warehouse_path))
    try:
        con.execute("create table marts.fct_lists as select [1, 2] as values_list")
    finally:
        con.close()
    url = postgres.create_database("unmappable")

    with pytest.raises(UnsupportedTypeError, match=r"marts\.fct_lists\.values_list"):
        publish(url, odd)

    assert target_fingerprint(postgres.conninfo("unmappable")) == {}


def test_connection_errors_are_told_from_other_database_errors(postgres: PostgresServer):
    refused = sa.create_engine(f"postgresql+psycopg://tpn@127.0.0.1:{_closed_port()}/postgres")
    with pytest.raises(sa.exc.OperationalError) as raised:
        refused.connect()
    assert is_connection_error(raised.value)

    wrong_database = sa.create_engine(postgres.url("no_such_database"))
    with pytest.raises(sa.exc.OperationalError) as raised:
        wrong_database.connect()
    assert not is_connection_error(raised.value)  # would fail the same way on every retry

    engine = sa.create_engine(postgres.url(), poolclass=sa.pool.NullPool)
    with engine.connect() as con, pytest.raises(sa.exc.ProgrammingError) as raised:
        con.execute(sa.text("select * from no_such_table"))
    assert not is_connection_error(raised.value)

    with engine.connect() as victim:
        pid = victim.execute(sa.text("select pg_backend_pid()")).scalar_one()
        with psycopg.connect(postgres.conninfo(), autocommit=True) as admin:
            admin.execute("select pg_terminate_backend(%s)", [pid])
        with pytest.raises(sa.exc.DBAPIError) as raised:
            victim.execute(sa.text("select 1"))
    assert is_connection_error(raised.value)
    assert not is_connection_error(ValueError("not a database error"))


def _closed_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_a_publisher_owning_only_its_schemas_can_publish(
    postgres: PostgresServer, source_settings: Settings
):
    """As docs/operations.md sets it up: no CREATE on the database, schemas made for it."""
    postgres.create_database("least_privilege")
    with psycopg.connect(postgres.conninfo("least_privilege"), autocommit=True) as con:
        con.execute("create role tpn_publisher login")
        con.execute("revoke create on database least_privilege from public")
        for schema in ("marts", "evaluation", "twinning", "tpn_catalog"):
            con.execute(f"create schema {schema} authorization tpn_publisher")
    url = f"postgresql+psycopg://tpn_publisher@{postgres.host}:{postgres.port}/least_privilege"

    first = publish(url, source_settings)
    again = publish(url, source_settings)

    assert first.tables == again.tables
    assert set(MART_TABLES) <= set(first.tables)
