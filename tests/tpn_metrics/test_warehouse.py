"""tpn_metrics.warehouse: all-or-nothing transactions, frames registered for one block only,
the landing schema created idempotently, and table_exists. (Waiting on another process's
lock is tested in tests/reliability/test_fault_injection.py, with a real second process.)"""

from __future__ import annotations

import hashlib
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from tpn_metrics.warehouse import (
    LANDING_TABLES,
    connect,
    ensure_landing_schema,
    open_warehouse,
    registered,
    table_exists,
    transaction,
)


@pytest.fixture
def con(tmp_path: Path):
    with open_warehouse(tmp_path / "nested" / "tpn.duckdb") as connection:
        connection.execute("create table t (x integer)")
        yield connection


def _rows(con: duckdb.DuckDBPyConnection) -> list[tuple[int]]:
    return con.execute("select x from t order by x").fetchall()


def test_a_transaction_commits_when_the_block_ends(con):
    with transaction(con):
        con.execute("insert into t values (1), (2)")
    assert _rows(con) == [(1,), (2,)]


def test_a_transaction_that_raises_leaves_nothing(con):
    con.execute("insert into t values (1)")
    with pytest.raises(RuntimeError, match="midway"), transaction(con):
        con.execute("insert into t values (2)")
        raise RuntimeError("midway")
    assert _rows(con) == [(1,)]


def test_a_frame_is_readable_only_inside_its_block(con):
    frame = pd.DataFrame({"x": [3, 4]})
    with registered(con, "incoming", frame) as name:
        assert name == "incoming"
        con.execute("insert into t select x from incoming")
    assert _rows(con) == [(3,), (4,)]
    with pytest.raises(duckdb.CatalogException):
        con.execute("select * from incoming")


def test_a_frame_is_unregistered_when_the_block_raises(con):
    with pytest.raises(ValueError), registered(con, "incoming", pd.DataFrame({"x": [1]})):
        raise ValueError
    with pytest.raises(duckdb.CatalogException):
        con.execute("select * from incoming")


def test_the_landing_schema_is_created_once_and_kept(con):
    assert not table_exists(con, "landing", "file_ledger")
    ensure_landing_schema(con)
    con.execute(
        "insert into landing.file_ledger (file_sha256, file_name, kind, received_at, status, "
        "stored_path) values ('abc', 'f.csv', 'rssb_weekly', now(), 'loaded', 'p')"
    )
    ensure_landing_schema(con)  # idempotent: the row survives
    assert con.execute("select count(*) from landing.file_ledger").fetchone() == (1,)
    assert all(table_exists(con, "landing", table) for table in LANDING_TABLES)
    assert table_exists(con, "main", "t")
    assert not table_exists(con, "main", "T")  # names compared exactly


def test_open_warehouse_creates_the_folder_and_closes(tmp_path: Path):
    path = tmp_path / "a" / "b" / "tpn.duckdb"
    with open_warehouse(path) as connection:
        connection.execute("create table kept (x integer)")
    assert path.exists()
    with pytest.raises(duckdb.ConnectionException):
        connection.execute("select 1")
    reader = connect(path, read_only=True)
    try:
        assert table_exists(reader, "main", "kept")
    finally:
        reader.close()


def test_an_older_ledger_gains_the_delivery_columns_and_keeps_its_rows(tmp_path: Path):
    """A warehouse from before issue #21: delivered_at, due_at, is_backfill are added, NULL
    (unknown) on the rows already there."""
    with open_warehouse(tmp_path / "old.duckdb") as con:
        con.execute("create schema landing")
        con.execute(
            """
            create table landing.file_ledger (
                file_sha256 varchar primary key, file_name varchar not null,
                kind varchar not null, received_at timestamp not null, status varchar not null,
                reason varchar, warnings varchar, row_count integer, period_key varchar,
                superseded_by varchar, stored_path varchar not null
            )
            """
        )
        con.execute(
            "insert into landing.file_ledger values ('abc', 'f.csv', 'rssb_weekly', "
            "timestamp '2023-03-25 08:00', 'loaded', null, null, 30, '2023-03-24', null, 'x')"
        )
        ensure_landing_schema(con)
        ensure_landing_schema(con)  # idempotent
        assert con.execute(
            "select file_sha256, xlsx_sheet, delivered_at, due_at, is_backfill "
            "from landing.file_ledger"
        ).fetchall() == [("abc", None, None, None, None)]
        types = dict(
            con.execute(
                "select column_name, data_type from information_schema.columns "
                "where table_schema = 'landing' and table_name = 'file_ledger' "
                "and column_name in ('delivered_at', 'due_at', 'is_backfill')"
            ).fetchall()
        )
        assert types == {
            "delivered_at": "TIMESTAMP",
            "due_at": "TIMESTAMP",
            "is_backfill": "BOOLEAN",
        }


def test_older_hex_household_keys_become_the_same_keys_as_numbers(tmp_path: Path):
    """A warehouse from before issue #23 stored household_key as SHA-256's 64 hex characters;
    it is converted to the UHUGEINT of the first 128 bits, the type a load writes now, so an
    old and a new load of the same household give one key (and no row is lost)."""
    digest = hashlib.sha256(b"salt-0123456789ab0788000001").hexdigest()
    with open_warehouse(tmp_path / "old.duckdb") as con:
        con.execute("create schema landing")
        con.execute(
            """
            create table landing.cbhi_payments (
                file_sha256 varchar not null, payment_id varchar not null,
                household_key varchar not null, district_id varchar not null, sector varchar,
                channel varchar not null, members integer not null, amount_rwf bigint not null,
                paid_at timestamp not null, loaded_at timestamp not null,
                is_superseded boolean not null
            )
            """
        )
        con.execute(
            "insert into landing.cbhi_payments values ('abc', 'P1', ?, 'gasabo', null, "
            "'irembo', 2, 6000, timestamp '2023-03-24 10:00', timestamp '2023-03-25', false)",
            [digest],
        )
        ensure_landing_schema(con)
        ensure_landing_schema(con)  # idempotent
        assert con.execute(
            "select payment_id, household_key, printf('%032x', household_key), "
            "typeof(household_key) from landing.cbhi_payments"
        ).fetchall() == [("P1", int(digest[:32], 16), digest[:32], "UHUGEINT")]
