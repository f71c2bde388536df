"""The DuckDB warehouse file: connections and the landing schema that ingestion owns.

dbt owns every schema but ``landing`` and ``ops``; Python writes only there (and the
``evaluation`` tables), so a dbt run can always be repeated from the landing tables.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

if TYPE_CHECKING:
    import pandas as pd

LANDING_DDL = """
create schema if not exists landing;
create schema if not exists ops;

create table if not exists landing.file_ledger (
    file_sha256 varchar primary key,
    file_name varchar not null,
    kind varchar not null,
    received_at timestamp not null,
    status varchar not null,
    reason varchar,
    warnings varchar,
    row_count integer,
    period_key varchar,
    superseded_by varchar,
    stored_path varchar not null,
    xlsx_sheet varchar,
    delivered_at timestamp,
    due_at timestamp,
    is_backfill boolean
);
-- Warehouses created before the ledger named the XLSX sheet read.
alter table landing.file_ledger add column if not exists xlsx_sheet varchar;
-- ... and before it recorded delivery (UTC), the RSSB deadline (UTC) and backfills (issue #21):
-- their rows keep NULL (unknown).
alter table landing.file_ledger add column if not exists delivered_at timestamp;
alter table landing.file_ledger add column if not exists due_at timestamp;
alter table landing.file_ledger add column if not exists is_backfill boolean;

create table if not exists landing.rssb_weekly (
    file_sha256 varchar not null,
    report_date date not null,
    district_id varchar not null,
    district_name_received varchar not null,
    target_population bigint not null,
    members_paid bigint not null,
    households_paid bigint,
    amount_collected_rwf bigint,
    coverage_rate_pct double,
    loaded_at timestamp not null,
    is_superseded boolean not null,
    primary key (file_sha256, district_id)
);

create table if not exists landing.accreditation_results (
    file_sha256 varchar not null,
    survey_year integer not null,
    hospital_id varchar not null,
    hospital_name_received varchar not null,
    district_id varchar not null,
    hospital_category varchar,
    level_1_score_pct double not null,
    level_2_score_pct double not null,
    level_3_score_pct double,
    score_scale varchar not null,
    loaded_at timestamp not null,
    is_superseded boolean not null,
    primary key (file_sha256, hospital_id)
);

create table if not exists landing.cbhi_payments (
    file_sha256 varchar not null,
    payment_id varchar not null,
    household_key uhugeint not null,
    district_id varchar not null,
    sector varchar,
    channel varchar not null,
    members integer not null,
    amount_rwf bigint not null,
    paid_at timestamp not null,
    loaded_at timestamp not null,
    is_superseded boolean not null
);

create table if not exists landing.tpn_institutions (
    file_sha256 varchar not null,
    institution_id varchar not null,
    institution_name varchar not null,
    institution_kind varchar not null,
    district_id varchar not null,
    hospital_id varchar,
    hospital_category varchar,
    is_tpn_member boolean not null,
    joined_on date,
    loaded_at timestamp not null,
    is_superseded boolean not null,
    primary key (file_sha256, institution_id)
);

create table if not exists landing.tpn_priorities (
    file_sha256 varchar not null,
    institution_id varchar not null,
    topic varchar not null,
    priority_rank integer not null,
    chosen_on date,
    loaded_at timestamp not null,
    is_superseded boolean not null
);

create table if not exists landing.tpn_strengths (
    file_sha256 varchar not null,
    institution_id varchar not null,
    topic varchar not null,
    loaded_at timestamp not null,
    is_superseded boolean not null
);

create table if not exists landing.tpn_pairs (
    file_sha256 varchar not null,
    rising_institution_id varchar not null,
    shining_institution_id varchar not null,
    topic varchar not null,
    started_on date,
    ended_on date,
    loaded_at timestamp not null,
    is_superseded boolean not null
);

create table if not exists landing.tpn_events (
    file_sha256 varchar not null,
    event_number integer not null,
    event_date date not null,
    event_kind varchar not null,
    topic varchar,
    institution_ids varchar not null,
    loaded_at timestamp not null,
    is_superseded boolean not null
);

-- DHIS2 exports (issue #22): one row per value read, as DHIS2 wrote it plus what it resolved to.
-- Values are replaced value by value (the newest loaded file's value of the same data item,
-- category option combo, attribute option combo, period and org unit wins in dbt staging), so
-- DHIS2 files are never superseded whole.
create table if not exists landing.dhis2_data_values (
    file_sha256 varchar not null,
    source_format varchar not null,
    data_item_uid varchar not null,
    data_item_name_received varchar,
    item_code varchar not null,
    category_option_combo_uid varchar,
    attribute_option_combo_uid varchar,
    period_id varchar not null,
    period_type varchar not null,
    period_start date not null,
    period_end date not null,
    org_unit_uid varchar not null,
    org_unit_name_received varchar,
    org_unit_level varchar not null,
    district_id varchar not null,
    hospital_id varchar,
    value double not null,
    numerator double,
    denominator double,
    row_number integer not null,
    loaded_at timestamp not null,
    is_superseded boolean not null,
    primary key (file_sha256, row_number)
);

"""

LANDING_TABLES = (
    "rssb_weekly",
    "accreditation_results",
    "tpn_institutions",
    "tpn_priorities",
    "tpn_strengths",
    "tpn_pairs",
    "tpn_events",
    "dhis2_data_values",
)


class WarehouseBusyError(RuntimeError):
    """The warehouse file is held by another process (an analyst's session, another run)."""


def _is_lock_error(error: duckdb.Error) -> bool:
    text = str(error).lower()
    return "lock" in text or "conflicting" in text


def connect(
    path: Path, *, read_only: bool = False, wait_seconds: float = 60.0
) -> duckdb.DuckDBPyConnection:
    """Open the warehouse, waiting while another process holds its write lock.

    DuckDB allows one writing process per file; an analyst with the file open must not make a
    scheduled run fail at once, nor must the run break their session.
    """
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + wait_seconds
    delay = 0.25
    while True:
        try:
            con = duckdb.connect(str(path), read_only=read_only)
            # No progress bars: this runs inside flows and tests, not at an analyst's prompt.
            con.execute("set enable_progress_bar = false")
            return con
        except duckdb.Error as error:
            if not _is_lock_error(error) or time.monotonic() >= deadline:
                if _is_lock_error(error):
                    raise WarehouseBusyError(
                        f"the warehouse {path} is locked by another process "
                        f"(waited {wait_seconds:.0f} s): close other sessions on it "
                        "(analysts: open warehouse/tpn.readonly.duckdb read-only) and run again"
                    ) from error
                raise
            time.sleep(delay)
            delay = min(delay * 2, 5.0)


@contextmanager
def open_warehouse(path: Path, *, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
    """:func:`connect` (waiting up to 60 s for the write lock; WarehouseBusyError after) as a
    context manager: the connection is closed when the block ends, even if it raises."""
    con = connect(path, read_only=read_only)
    try:
        yield con
    finally:
        con.close()


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """All or nothing: committed when the block ends, rolled back if it raises. A process
    killed inside the block leaves nothing of it (DuckDB never replays an uncommitted one)."""
    con.execute("begin transaction")
    try:
        yield
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise


@contextmanager
def registered(con: duckdb.DuckDBPyConnection, name: str, frame: pd.DataFrame) -> Iterator[str]:
    """``frame`` readable by SQL as the view ``name`` inside the block (yields ``name``);
    unregistered when the block ends, whatever happens."""
    con.register(name, frame)
    try:
        yield name
    finally:
        # Inside an aborted transaction DuckDB refuses even this; the next register of the
        # same name replaces the view anyway, so the original error is the one to raise.
        with suppress(duckdb.Error):
            con.unregister(name)


def ensure_landing_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create the ``landing`` and ``ops`` schemas and their tables (:data:`LANDING_DDL`) where
    missing, and add columns newer code expects; idempotent, never drops data."""
    con.execute(LANDING_DDL)
    _household_key_as_number(con)


def _household_key_as_number(con: duckdb.DuckDBPyConnection) -> None:
    """Convert ``landing.cbhi_payments.household_key`` from the 64 hex characters of
    SHA-256(salt ‖ reference) (the type before issue #23) to the UHUGEINT of its first 128
    bits, the type loads now write: the same households, the same keys, 16 bytes a row."""
    row = con.execute(
        """
        select data_type from information_schema.columns
        where table_schema = 'landing' and table_name = 'cbhi_payments'
            and column_name = 'household_key'
        """
    ).fetchone()
    if row is not None and row[0] == "VARCHAR":
        con.execute(
            """
            alter table landing.cbhi_payments alter household_key set data type uhugeint
            using ('0x' || left(household_key, 32))::uhugeint
            """
        )


def table_exists(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    """True when ``schema.table`` is a table or view of the connected database
    (``information_schema.tables``; names compared exactly)."""
    row = con.execute(
        "select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
        [schema, table],
    ).fetchone()
    return bool(row and row[0])
