"""The delivery ledger ``ops.email_deliveries``: one row per (district, report week, revision,
channel), so that an email is never sent twice for the same district and week.

A row is written 'pending' before its email leaves, and marked 'delivered' once the SMTP server
accepted it (or its .eml file is written, in a dry run); a pending correction made moot by a
later file is 'cancelled'. What to send is decided in :mod:`tpn_metrics.emails.deliver`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

import duckdb


class DeliveryStatus(StrEnum):
    """A ledger row's ``status`` (stored as its string value)."""

    PENDING = "pending"
    DELIVERED = "delivered"
    CANCELLED = "cancelled"  # a pending correction made moot by a later file


class Channel(StrEnum):
    """How a row's email is delivered (``channel``): .eml files (dry run) or SMTP."""

    OUTBOX = "outbox"
    SMTP = "smtp"


CANCELLED_REASON = "figures back to those already delivered: correction not needed"


def ensure_outbox(con: duckdb.DuckDBPyConnection) -> None:
    """Create ``ops.email_deliveries`` if missing (and add columns added since); idempotent."""
    con.execute("create schema if not exists ops")
    con.execute(
        """
        create table if not exists ops.email_deliveries (
            district_id varchar not null,
            report_date date not null,
            revision integer not null,
            channel varchar not null,
            source_file_sha256 varchar not null,
            message_id varchar not null,
            recipients varchar not null,
            subject varchar not null,
            is_correction boolean not null,
            status varchar not null,
            eml_path varchar,
            created_at timestamp not null,
            delivered_at timestamp,
            attempts integer not null,
            last_error varchar,
            primary key (district_id, report_date, revision, channel)
        )
        """
    )
    # Added after the first release: rows written before it have no fingerprint, and are
    # compared by source file instead.
    con.execute("alter table ops.email_deliveries add column if not exists figures_sha256 varchar")


@dataclass(frozen=True)
class DeliveryKey:
    """The ledger's primary key: one email of one district, week, revision and channel."""

    district_id: str
    report_date: dt.date
    revision: int  # 1 for the first email of the week, 2+ for corrections
    channel: Channel


@dataclass(frozen=True)
class LedgerRow:
    """What planning needs of a row already on record."""

    revision: int
    source_file_sha256: str
    figures_sha256: str | None  # None on rows from before fingerprints
    status: DeliveryStatus

    def has_figures(self, figures_sha256: str, source_file_sha256: str) -> bool:
        """True when this row's email carried these figures (by fingerprint, or by source
        file for a row from before fingerprints)."""
        if self.figures_sha256 is None:
            return self.source_file_sha256 == source_file_sha256
        return self.figures_sha256 == figures_sha256


@dataclass(frozen=True)
class PendingEntry:
    """A row as recorded before its email leaves (status 'pending', no attempt yet)."""

    key: DeliveryKey
    source_file_sha256: str
    figures_sha256: str
    message_id: str
    recipients: tuple[str, ...]
    subject: str


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def ledger_rows(
    con: duckdb.DuckDBPyConnection, report_date: dt.date, channel: Channel
) -> dict[str, list[LedgerRow]]:
    """Rows of a week and channel: district_id → its rows, by revision ascending."""
    rows = con.execute(
        """
        select district_id, revision, source_file_sha256, figures_sha256, status
        from ops.email_deliveries
        where report_date = ? and channel = ?
        order by district_id, revision
        """,
        [report_date, channel.value],
    ).fetchall()
    by_district: dict[str, list[LedgerRow]] = {}
    for district_id, revision, source, figures, status in rows:
        by_district.setdefault(str(district_id), []).append(
            LedgerRow(
                revision=int(revision),
                source_file_sha256=str(source),
                figures_sha256=figures,
                status=DeliveryStatus(str(status)),
            )
        )
    return by_district


def record_pending(con: duckdb.DuckDBPyConnection, entry: PendingEntry) -> None:
    """Insert the row as pending, or refresh a pending row with the figures it now carries."""
    key = entry.key
    con.execute(
        """
        insert into ops.email_deliveries
            (district_id, report_date, revision, channel, source_file_sha256, figures_sha256,
             message_id, recipients, subject, is_correction, status, created_at, attempts)
        values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0)
        on conflict do update set
            source_file_sha256 = excluded.source_file_sha256,
            figures_sha256 = excluded.figures_sha256,
            message_id = excluded.message_id,
            recipients = excluded.recipients,
            subject = excluded.subject
        """,
        [
            key.district_id,
            key.report_date,
            key.revision,
            key.channel.value,
            entry.source_file_sha256,
            entry.figures_sha256,
            entry.message_id,
            ", ".join(entry.recipients),
            entry.subject,
            key.revision > 1,
            DeliveryStatus.PENDING.value,
            _now(),
        ],
    )


def mark(
    con: duckdb.DuckDBPyConnection,
    key: DeliveryKey,
    *,
    status: DeliveryStatus,
    attempted: bool = True,
    path: Path | None = None,
    error: str | None = None,
) -> None:
    """Update a still-pending row: its new status, one more attempt (if ``attempted``), the
    .eml path (if written) and the last error (None clears it); rows no longer pending are
    left alone."""
    con.execute(
        """
        update ops.email_deliveries
        set status = ?, eml_path = coalesce(?, eml_path), attempts = attempts + ?,
            last_error = ?, delivered_at = case when ? = ? then ? else delivered_at end
        where district_id = ? and report_date = ? and revision = ? and channel = ?
            and status = ?
        """,
        [
            status.value,
            None if path is None else str(path),
            1 if attempted else 0,
            error,
            status.value,
            DeliveryStatus.DELIVERED.value,
            _now(),
            key.district_id,
            key.report_date,
            key.revision,
            key.channel.value,
            DeliveryStatus.PENDING.value,
        ],
    )


def cancel(con: duckdb.DuckDBPyConnection, keys: list[DeliveryKey]) -> None:
    """Mark these pending rows 'cancelled': the figures went back to those delivered."""
    for key in keys:
        con.execute(
            """
            update ops.email_deliveries
            set status = ?, last_error = ?
            where district_id = ? and report_date = ? and revision = ? and channel = ?
                and status = ?
            """,
            [
                DeliveryStatus.CANCELLED.value,
                CANCELLED_REASON,
                key.district_id,
                key.report_date,
                key.revision,
                key.channel.value,
                DeliveryStatus.PENDING.value,
            ],
        )


def pending_count(con: duckdb.DuckDBPyConnection, channel: Channel) -> int:
    """Rows of ``channel`` still pending, any week."""
    row = con.execute(
        "select count(*) from ops.email_deliveries where status = ? and channel = ?",
        [DeliveryStatus.PENDING.value, channel.value],
    ).fetchone()
    return int(row[0]) if row else 0
