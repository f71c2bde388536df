"""The ingest vocabulary: the strings the ledger stores, and ledger rows written by keyword."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from pathlib import Path

import duckdb
import pytest
import yaml

from tpn_metrics.ingest.housekeeping import find_file
from tpn_metrics.ingest.landing import LedgerEntry, ledger_record, write_ledger_row
from tpn_metrics.ingest.vocabulary import REFUSED_STATUSES, FileKind, FileStatus
from tpn_metrics.warehouse import ensure_landing_schema

LANDING_MODELS = (
    Path(__file__).parents[3] / "dbt_project" / "models" / "staging" / "landing"
) / "_landing__models.yml"
RECEIVED = dt.datetime(2023, 3, 24, 9, 30)


@pytest.fixture
def con() -> duckdb.DuckDBPyConnection:
    connection = duckdb.connect(":memory:")
    ensure_landing_schema(connection)
    return connection


def test_the_stored_strings_are_unchanged():
    # landing.file_ledger holds these values since the first load: dbt, `tpn status` and the
    # flows compare them as strings, so a member must *be* its string.
    assert [s.value for s in FileStatus] == [
        "loaded",
        "superseded",
        "quarantined",
        "crashed",
        "dismissed",
        "duplicate",
    ]
    assert [k.value for k in FileKind] == [
        "rssb_weekly",
        "accreditation",
        "registry",
        "payments",
        "dhis2",
        "unknown",
    ]
    assert FileStatus.LOADED == "loaded" and f"{FileStatus.CRASHED}" == "crashed"
    assert "quarantined" in REFUSED_STATUSES and "loaded" not in REFUSED_STATUSES


def test_the_ledger_statuses_dbt_documents_are_the_stored_ones():
    models = yaml.safe_load(LANDING_MODELS.read_text(encoding="utf-8"))["models"]
    (received,) = [m for m in models if m["name"] == "stg_landing__received_files"]
    (column,) = [c for c in received["columns"] if c["name"] == "file_status"]
    listed = re.search(
        r"tpn_metrics\.ingest: ([a-z, ]+)\)", " ".join(column["description"].split())
    )
    assert listed is not None, column["description"]
    documented = {word.strip() for word in listed[1].split(",")}
    assert documented == {s.value for s in FileStatus} - {"duplicate"}


def test_a_ledger_row_is_written_by_column_name(con: duckdb.DuckDBPyConnection):
    entry = LedgerEntry(
        file_sha256="ab" * 32,
        file_name="cbhi_2023-03-24.xlsx",
        kind=FileKind.RSSB_WEEKLY,
        status=FileStatus.LOADED,
        warnings="members_paid for gasabo fell",
        row_count=30,
        period_key="2023-03-24",
        stored_path="/store/ab/abab.xlsx",
        xlsx_sheet="Week 12",
    )
    write_ledger_row(con, entry, RECEIVED)
    cursor = con.execute("select * from landing.file_ledger")
    columns = [d[0] for d in cursor.description]
    (row,) = cursor.fetchall()
    stored = dict(zip(columns, row, strict=True))
    assert stored == dataclasses.asdict(entry) | {"received_at": RECEIVED}
    assert stored["status"] == "loaded" and type(stored["status"]) is str

    record = ledger_record(con, entry.file_sha256)
    assert record is not None
    assert record.status is FileStatus.LOADED and record.kind is FileKind.RSSB_WEEKLY
    assert (record.received_at, record.period_key, record.xlsx_sheet) == (
        RECEIVED,
        "2023-03-24",
        "Week 12",
    )


def test_writing_a_row_again_replaces_it(con: duckdb.DuckDBPyConnection):
    sha = "cd" * 32
    refused = LedgerEntry(
        file_sha256=sha,
        file_name="week.csv",
        kind=FileKind.UNKNOWN,
        status=FileStatus.CRASHED,
        reason="ingestion crashed (KeyError: 'x')",
        stored_path="/store/cd/cdcd.csv",
    )
    write_ledger_row(con, refused, RECEIVED)
    write_ledger_row(
        con,
        dataclasses.replace(refused, status=FileStatus.QUARANTINED, reason="not a date"),
        RECEIVED + dt.timedelta(days=1),
    )
    assert con.execute(
        "select count(*), any_value(status) from landing.file_ledger"
    ).fetchall() == [(1, "quarantined")]
    found = find_file(con, sha[:8])
    assert found.status is FileStatus.QUARANTINED and found.reason == "not a date"


def test_a_ledger_entry_takes_keywords_only():
    with pytest.raises(TypeError):
        LedgerEntry("ef" * 32, "a.csv", FileKind.REGISTRY, FileStatus.LOADED, "/p")
