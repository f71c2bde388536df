"""Household payments: pseudonymised on arrival, validated in bulk, reconciled with RSSB."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import os
import shutil
from pathlib import Path

import duckdb
import pytest

from tests.warehouse_state import fingerprint
from tpn_metrics.ingest.payments import ingest_payments, require_salt
from tpn_metrics.sample.payments import generate_payments
from tpn_metrics.settings import Settings

SALT = "test-salt-0123456789"
TODAY = dt.date(2026, 11, 23)


def ingest(settings: Settings, path: Path):
    return ingest_payments(path, settings, salt=SALT, today=TODAY)


def all_text(settings: Settings) -> str:
    """Every text value of every table, for scanning."""
    con = duckdb.connect(str(settings.warehouse_path), read_only=True)
    try:
        columns = con.execute(
            """
            select table_schema, table_name, column_name from information_schema.columns
            where data_type = 'VARCHAR'
            """
        ).fetchall()
        parts = []
        for schema, table, column in columns:
            values = con.execute(f'select "{column}" from "{schema}"."{table}"').fetchall()
            parts.extend(str(v[0]) for v in values)
        return "\n".join(parts)
    finally:
        con.close()


@pytest.fixture
def extract(tmp_path: Path) -> Path:
    return generate_payments(tmp_path / "payments.csv", 2_000, households=700)


def refs(path: Path) -> list[str]:
    with path.open() as handle:
        return [row["household_ref"] for row in csv.DictReader(handle)]


def test_extract_loads_pseudonymised_and_no_identifier_is_kept(settings: Settings, extract: Path):
    outcome = ingest(settings, extract)
    assert outcome.status == "loaded", outcome.reason
    assert outcome.rows == 2_000
    raw = set(refs(extract))
    text = all_text(settings)
    assert not any(ref in text for ref in list(raw)[:200])
    # The received file is not kept: it holds the identifiers.
    assert not [p for p in settings.landing_store.rglob("*") if p.is_file()]
    # household_key is SHA-256(salt || reference), its first 128 bits as a number: checkable,
    # not reversible without the salt, and readable again as the digest's first 32 hex digits.
    first_ref = refs(extract)[0]
    con = duckdb.connect(str(settings.warehouse_path), read_only=True)
    key, key_hex = con.execute(
        """
        select household_key, printf('%032x', household_key)
        from landing.cbhi_payments where payment_id = 'P0000000000'
        """
    ).fetchone()
    con.close()
    digest = hashlib.sha256((SALT + first_ref).encode()).hexdigest()
    assert key == int(digest[:32], 16)
    assert key_hex == digest[:32]


def test_the_ledger_records_when_the_extract_was_delivered(settings: Settings, extract: Path):
    """Issue #21: like every received file, its modification time (UTC); no RSSB deadline."""
    delivered = dt.datetime(2024, 3, 22, 15, 30, tzinfo=dt.UTC)
    os.utime(extract, (delivered.timestamp(), delivered.timestamp()))
    assert ingest(settings, extract).status == "loaded"
    con = duckdb.connect(str(settings.warehouse_path), read_only=True)
    try:
        assert con.execute(
            "select delivered_at, due_at, is_backfill from landing.file_ledger"
        ).fetchall() == [(dt.datetime(2024, 3, 22, 15, 30), None, False)]
    finally:
        con.close()


def test_same_extract_twice_is_a_no_op_and_overlap_is_counted(
    settings: Settings, tmp_path: Path, extract: Path
):
    ingest(settings, extract)
    assert ingest(settings, extract).status == "duplicate"
    overlapping = generate_payments(
        tmp_path / "next.csv", 2_000, households=700, first_payment=1_500
    )
    outcome = ingest(settings, overlapping)
    assert outcome.status == "loaded"
    assert (outcome.rows, outcome.already_received) == (1_500, 500)


def test_a_changed_payment_is_refused_and_changes_nothing(
    settings: Settings, tmp_path: Path, extract: Path
):
    ingest(settings, extract)
    before = fingerprint(settings.warehouse_path)
    lines = extract.read_text().splitlines()
    fields = lines[1].split(",")
    fields[6] = str(int(fields[6]) + 3000)
    changed = tmp_path / "changed.csv"
    changed.write_text("\n".join([lines[0], ",".join(fields)]) + "\n")
    outcome = ingest(settings, changed)
    assert outcome.status == "quarantined"
    assert "already received with different content (e.g. P0000000000)" in outcome.reason
    assert fingerprint(settings.warehouse_path) == before


def test_bad_rows_are_counted_with_examples(settings: Settings, tmp_path: Path):
    path = tmp_path / "bad.csv"
    path.write_text(
        "transaction_id,phone,akarere,umurenge,method,persons,amount,payment_date\n"
        "A1,0788000001,Gasabo,Remera,MTN MoMo,0,0,2023-03-24 10:00\n"
        "A2,0788000002,Gasabo,Remera,Irembo,2,-6000,2023-03-24 10:00\n"
        "A3,0788000003,Gasabo,Remera,Bank,2,6000,2023-03-24 10:00\n"
        "A4,0788000004,Gasabo,Remera,Irembo,2,6000,someday\n"
        "A5,0788000005,Atlantis,X,Irembo,2,6000,2023-03-24 10:00\n"
        "A5,0788000006,Huye,X,Irembo,2,6000,24/03/2023 10:00\n"
    )
    outcome = ingest(settings, path)
    assert outcome.status == "quarantined"
    reason = outcome.reason or ""
    assert "1 rows: members is not a whole number from 1 to 30 (e.g. payment_id A1)" in reason
    assert "amount_rwf is not a non-negative whole number (e.g. payment_id A2)" in reason
    assert "channel is not one of" in reason and "A3" in reason
    assert "paid_at is not a date/time (e.g. payment_id A4)" in reason
    assert "unknown district 'Atlantis'" in reason
    assert "1 payment_id values appear more than once (e.g. A5)" in reason


def test_the_salt_must_be_a_real_secret(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("TPN_PSEUDONYM_SALT", "short")
    with pytest.raises(RuntimeError, match="at least 16 characters"):
        require_salt(Settings())


@pytest.mark.slow
def test_payments_reconcile_with_rssb_weekly_figures(settings: Settings, tmp_path: Path):
    """RSSB's figure built from the same payments reconciles; a 5 % gap does not."""
    from tpn_metrics.dbt_runner import dbt_build_in_place
    from tpn_metrics.ingest.intake import ingest_paths

    extract = generate_payments(
        tmp_path / "p.csv", 20_000, start=dt.date(2022, 7, 1), end=dt.date(2023, 3, 23)
    )
    assert ingest(settings, extract).status == "loaded"
    con = duckdb.connect(str(settings.warehouse_path), read_only=True)
    # Everything paid up to Thursday 23 March counts in Friday 24 March's report.
    totals = con.execute(
        """
        select districts.district_name, sum(members), sum(amount_rwf)
        from landing.cbhi_payments
        inner join read_csv_auto(?) as districts using (district_id)
        group by all order by 1
        """,
        [str(settings.seeds_dir / "districts.csv")],
    ).fetchall()
    con.close()
    rssb = tmp_path / "rssb_2023-03-24.csv"
    with rssb.open("w") as handle:
        handle.write("report_date,district,target_population,members_paid,amount_collected_rwf\n")
        for index, (name, members, amount) in enumerate(totals):
            reported = int(members * 1.05) if index == 0 else int(members)
            handle.write(f"2023-03-24,{name},{int(members * 2)},{reported},{int(amount)}\n")
    assert ingest_paths([rssb], settings, today=TODAY)[0].status == "loaded"
    dbt_build_in_place(settings)
    con = duckdb.connect(str(settings.warehouse_path), read_only=True)
    rows = con.execute(
        "select district_id, is_reconciled from marts.fct_cbhi_payments_reconciliation"
    ).fetchall()
    con.close()
    assert len(rows) == 30
    assert sum(1 for _, ok in rows if not ok) == 1
    shutil.rmtree(tmp_path / "p.csv", ignore_errors=True)
