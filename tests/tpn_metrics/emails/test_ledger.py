"""The delivery ledger ops.email_deliveries: statuses stored as the words earlier releases
wrote, a row recorded pending before sending, and only pending rows ever moved."""

from __future__ import annotations

import datetime as dt

import duckdb
import pytest

from tpn_metrics.emails.ledger import (
    CANCELLED_REASON,
    Channel,
    DeliveryKey,
    DeliveryStatus,
    PendingEntry,
    cancel,
    ensure_outbox,
    ledger_rows,
    mark,
    pending_count,
    record_pending,
)

FRIDAY = dt.date(2023, 3, 31)


@pytest.fixture
def con() -> duckdb.DuckDBPyConnection:
    connection = duckdb.connect(":memory:")
    ensure_outbox(connection)
    ensure_outbox(connection)  # idempotent
    return connection


def _entry(district: str, revision: int, figures: str = "f1") -> PendingEntry:
    return PendingEntry(
        key=DeliveryKey(
            district_id=district, report_date=FRIDAY, revision=revision, channel=Channel.SMTP
        ),
        source_file_sha256="s1",
        figures_sha256=figures,
        message_id=f"<{district}.{revision}@tpn.example.org>",
        recipients=("a@example.org", "b@example.org"),
        subject=f"{district} week",
    )


def _row(con: duckdb.DuckDBPyConnection, district: str, revision: int) -> tuple[object, ...]:
    row = con.execute(
        "select status, channel, attempts, is_correction, recipients, figures_sha256, "
        "last_error, delivered_at is not null, eml_path from ops.email_deliveries "
        "where district_id = ? and revision = ?",
        [district, revision],
    ).fetchone()
    assert row is not None
    return tuple(row)


def test_statuses_and_channels_are_the_stored_words():
    assert [s.value for s in DeliveryStatus] == ["pending", "delivered", "cancelled"]
    assert [c.value for c in Channel] == ["outbox", "smtp"]
    assert DeliveryStatus.PENDING == "pending" and f"{Channel.SMTP}" == "smtp"


def test_a_row_is_pending_before_it_is_sent_and_refreshed_while_pending(con):
    record_pending(con, _entry("gasabo", 2))
    assert _row(con, "gasabo", 2)[:7] == (
        "pending",
        "smtp",
        0,
        True,  # revision 2 is a correction
        "a@example.org, b@example.org",
        "f1",
        None,
    )
    record_pending(con, _entry("gasabo", 2, figures="f2"))  # the same email, new figures
    assert _row(con, "gasabo", 2)[5] == "f2"
    assert pending_count(con, Channel.SMTP) == 1
    assert pending_count(con, Channel.OUTBOX) == 0


def test_mark_moves_only_pending_rows_and_counts_attempts(con):
    record_pending(con, _entry("gasabo", 1))
    key = _entry("gasabo", 1).key
    mark(con, key, status=DeliveryStatus.PENDING, error="451 try later")
    assert _row(con, "gasabo", 1)[2] == 1 and _row(con, "gasabo", 1)[6] == "451 try later"
    mark(con, key, status=DeliveryStatus.PENDING, attempted=False, error="server down")
    assert _row(con, "gasabo", 1)[2] == 1  # not offered: no attempt counted
    mark(con, key, status=DeliveryStatus.DELIVERED)
    status, _, attempts, _, _, _, error, delivered, _ = _row(con, "gasabo", 1)
    assert (status, attempts, error, delivered) == ("delivered", 2, None, True)
    mark(con, key, status=DeliveryStatus.PENDING, error="late retry")  # delivered stays so
    assert _row(con, "gasabo", 1)[0] == "delivered"
    cancel(con, [key])
    assert _row(con, "gasabo", 1)[0] == "delivered"


def test_cancel_marks_a_pending_correction_with_its_reason(con):
    record_pending(con, _entry("nyarugenge", 2))
    cancel(con, [_entry("nyarugenge", 2).key])
    assert _row(con, "nyarugenge", 2)[0] == "cancelled"
    assert _row(con, "nyarugenge", 2)[6] == CANCELLED_REASON
    [row] = ledger_rows(con, FRIDAY, Channel.SMTP)["nyarugenge"]
    assert row.status is DeliveryStatus.CANCELLED and row.revision == 2


def test_rows_from_before_fingerprints_compare_by_source_file(con):
    record_pending(con, _entry("huye", 1))
    con.execute("update ops.email_deliveries set figures_sha256 = null")
    [row] = ledger_rows(con, FRIDAY, Channel.SMTP)["huye"]
    assert row.figures_sha256 is None
    assert row.has_figures("anything", "s1")
    assert not row.has_figures("anything", "s2")
