"""Delivery of the weekly district emails, once per district and week, with corrections.

``ops.email_deliveries`` holds one row per (district, report week, revision, channel). Every
email a run means to deliver is written first as 'pending'; each is marked 'delivered' as soon
as the SMTP server has accepted it (or its .eml file is written, in a dry run). So a re-run, a
retry after a crash or the same file loaded twice finds the week done, and an SMTP outage
leaves rows 'pending' that the next run delivers, under the same revision and Message-ID.

When RSSB supersedes a week that was already delivered, only the districts whose own figures
changed (members paid, households paid, RSSB target) get a new revision, marked as a
correction; a re-issued file with the same figures sends nothing. See ``docs/emails.md`` for
the guarantee and its limits (SMTP itself is at-least-once).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import smtplib
import ssl
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import formatdate
from pathlib import Path
from types import TracebackType

import duckdb

from tpn_metrics.reports.district_weeks import district_weeks, week_figures, week_source_files
from tpn_metrics.reports.email_content import (
    DistrictWeek,
    email_subject,
    message_id_for,
    render_district_email,
)
from tpn_metrics.reports.recipients import Recipients
from tpn_metrics.settings import SmtpSettings

log = logging.getLogger(__name__)

CHANNEL_OUTBOX = "outbox"
CHANNEL_SMTP = "smtp"
STATUS_PENDING = "pending"
STATUS_DELIVERED = "delivered"
STATUS_CANCELLED = "cancelled"  # a pending correction made moot by a later file


@dataclass(frozen=True)
class DeliveryReport:
    report_date: dt.date | None
    planned: int
    delivered: int
    already_done: int
    pending: int  # rows of this channel still pending after the run (any week)
    corrections: int  # corrections among the planned emails
    errors: tuple[str, ...]
    paths: tuple[Path, ...]
    channel: str = CHANNEL_OUTBOX


# ---------------------------------------------------------------------------
# The ledger


def ensure_outbox(con: duckdb.DuckDBPyConnection) -> None:
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
class _LedgerRow:
    revision: int
    source_file_sha256: str
    figures_sha256: str | None
    status: str


@dataclass(frozen=True)
class PlannedEmail:
    week: DistrictWeek  # is_correction set for revisions above 1
    revision: int
    source_file_sha256: str
    figures_sha256: str


def _ledger_rows(
    con: duckdb.DuckDBPyConnection, report_date: dt.date, channel: str
) -> dict[str, list[_LedgerRow]]:
    rows = con.execute(
        """
        select district_id, revision, source_file_sha256, figures_sha256, status
        from ops.email_deliveries
        where report_date = ? and channel = ?
        order by district_id, revision
        """,
        [report_date, channel],
    ).fetchall()
    by_district: dict[str, list[_LedgerRow]] = {}
    for district_id, revision, source, figures, status in rows:
        by_district.setdefault(str(district_id), []).append(
            _LedgerRow(int(revision), str(source), figures, str(status))
        )
    return by_district


def _same_figures(row: _LedgerRow, figures: str, source: str) -> bool:
    if row.figures_sha256 is None:  # a row from before fingerprints: compare the file
        return row.source_file_sha256 == source
    return row.figures_sha256 == figures


def plan_week(
    con: duckdb.DuckDBPyConnection, report_date: dt.date, channel: str
) -> tuple[list[PlannedEmail], int, list[tuple[str, int]]]:
    """What a run must deliver for a week: (emails to send, districts already done, pending
    corrections to cancel because the figures went back to what was delivered).
    """
    ensure_outbox(con)
    sources = week_source_files(con, report_date)
    figures = week_figures(con, report_date)
    ledger = _ledger_rows(con, report_date, channel)
    plans: list[PlannedEmail] = []
    cancel: list[tuple[str, int]] = []
    done = 0
    for week in district_weeks(con, report_date):
        district = week.district_id
        source, fingerprint = sources[district], figures[district]
        rows = ledger.get(district, [])
        delivered = [r for r in rows if r.status == STATUS_DELIVERED]
        pending = [r for r in rows if r.status == STATUS_PENDING]
        if delivered and _same_figures(delivered[-1], fingerprint, source):
            done += 1
            cancel.extend((district, r.revision) for r in pending)
            continue
        # A pending email is retried under its revision (and Message-ID), with today's
        # figures; otherwise the next revision after any on record, cancelled ones included.
        revision = (
            pending[-1].revision if pending else 1 + max((r.revision for r in rows), default=0)
        )
        email_week = dataclasses.replace(week, is_correction=revision > 1)
        plans.append(PlannedEmail(email_week, revision, source, fingerprint))
    return plans, done, cancel


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def _record_pending(con: duckdb.DuckDBPyConnection, email: Outgoing, channel: str) -> None:
    """Insert the row as pending, or refresh a pending row with the figures it now carries."""
    plan = email.plan
    week = plan.week
    con.execute(
        """
        insert into ops.email_deliveries
            (district_id, report_date, revision, channel, source_file_sha256, figures_sha256,
             message_id, recipients, subject, is_correction, status, created_at, attempts)
        values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?, 0)
        on conflict do update set
            source_file_sha256 = excluded.source_file_sha256,
            figures_sha256 = excluded.figures_sha256,
            message_id = excluded.message_id,
            recipients = excluded.recipients,
            subject = excluded.subject
        """,
        [
            week.district_id,
            week.report_date,
            plan.revision,
            channel,
            plan.source_file_sha256,
            plan.figures_sha256,
            email.message_id,
            ", ".join(email.to),
            email.subject,
            plan.revision > 1,
            _now(),
        ],
    )


def _mark(
    con: duckdb.DuckDBPyConnection,
    plan: PlannedEmail,
    channel: str,
    *,
    status: str,
    attempted: bool = True,
    path: Path | None = None,
    error: str | None = None,
) -> None:
    now = _now()
    con.execute(
        """
        update ops.email_deliveries
        set status = ?, eml_path = coalesce(?, eml_path), attempts = attempts + ?,
            last_error = ?, delivered_at = case when ? = 'delivered' then ? else delivered_at end
        where district_id = ? and report_date = ? and revision = ? and channel = ?
            and status = 'pending'
        """,
        [
            status,
            None if path is None else str(path),
            1 if attempted else 0,
            error,
            status,
            now,
            plan.week.district_id,
            plan.week.report_date,
            plan.revision,
            channel,
        ],
    )


def _cancel(
    con: duckdb.DuckDBPyConnection,
    report_date: dt.date,
    channel: str,
    cancel: list[tuple[str, int]],
) -> None:
    for district_id, revision in cancel:
        con.execute(
            """
            update ops.email_deliveries
            set status = 'cancelled',
                last_error = 'figures back to those already delivered: correction not needed'
            where district_id = ? and report_date = ? and revision = ? and channel = ?
                and status = 'pending'
            """,
            [district_id, report_date, revision, channel],
        )


# ---------------------------------------------------------------------------
# Messages and transports


@dataclass(frozen=True)
class Outgoing:
    """A planned email with its addressing resolved; the body is rendered only when sent."""

    plan: PlannedEmail
    to: tuple[str, ...]
    sender: str
    language: str
    message_id: str
    subject: str

    @property
    def district_id(self) -> str:
        return self.plan.week.district_id


def address(plan: PlannedEmail, recipients: Recipients) -> Outgoing:
    target = recipients.for_district(plan.week.district_id)
    if target is None:
        raise LookupError(f"no recipients configured for district '{plan.week.district_id}'")
    message_id = message_id_for(
        plan.week.district_id, plan.week.report_date, is_correction=plan.revision > 1
    )
    if plan.revision > 2:
        # A second correction of the same week needs its own id or servers drop it as a repeat.
        message_id = message_id.replace("@", f".r{plan.revision}@", 1)
    return Outgoing(
        plan=plan,
        to=target.addresses,
        sender=recipients.sender,
        language=target.language,
        message_id=message_id,
        subject=email_subject(plan.week, target.language),
    )


def build_message(email: Outgoing) -> EmailMessage:
    message = render_district_email(
        email.plan.week, recipients=list(email.to), sender=email.sender, language=email.language
    )
    if message["Message-ID"] != email.message_id:
        del message["Message-ID"]
        message["Message-ID"] = email.message_id
    return message


def write_eml(message: EmailMessage, outbox_dir: Path, week: DistrictWeek, revision: int) -> Path:
    folder = outbox_dir / week.report_date.isoformat()
    folder.mkdir(parents=True, exist_ok=True)
    suffix = "" if revision == 1 else f"-r{revision}"
    path = folder / f"{week.district_id}{suffix}.eml"
    partial = path.with_suffix(".eml.partial")
    partial.write_bytes(message.as_bytes(policy=policy.SMTP))
    partial.replace(path)
    return path


def _tls_context(settings: SmtpSettings) -> ssl.SSLContext:
    """Verifying context: the system CAs, plus ``ca_file`` if set (not instead of them)."""
    context = ssl.create_default_context()
    if settings.ca_file:
        context.load_verify_locations(cafile=settings.ca_file)
    return context


def smtp_connect(settings: SmtpSettings) -> smtplib.SMTP:
    """An open, secured and (if configured) authenticated SMTP session."""
    if settings.security == "ssl":
        client: smtplib.SMTP = smtplib.SMTP_SSL(
            settings.host, settings.port, timeout=settings.timeout, context=_tls_context(settings)
        )
    else:
        client = smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout)
    try:
        if settings.security == "starttls":
            client.starttls(context=_tls_context(settings))
        if settings.username:
            client.login(settings.username, settings.password or "")
    except BaseException:
        client.close()
        raise
    return client


class SmtpSession:
    """One SMTP connection reused for a run's messages, re-opened after a failed message."""

    def __init__(self, settings: SmtpSettings) -> None:
        self.settings = settings
        self._client: smtplib.SMTP | None = None

    def __enter__(self) -> SmtpSession:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def open(self) -> None:
        if self._client is None:
            self._client = smtp_connect(self.settings)

    def close(self) -> None:
        client, self._client = self._client, None
        if client is None:
            return
        try:
            client.quit()
        except (OSError, smtplib.SMTPException):
            client.close()

    def send(self, message: EmailMessage) -> dict[str, tuple[int, bytes]]:
        """Send one message; returns the recipients the server refused (others got it)."""
        self.open()
        assert self._client is not None
        if "Date" not in message:
            message["Date"] = formatdate(localtime=False)
        try:
            return self._client.send_message(message)
        except BaseException:
            # Whatever state the server is in now, the next message starts afresh.
            self.close()
            raise


def smtp_send(settings: SmtpSettings, message: EmailMessage) -> dict[str, tuple[int, bytes]]:
    """Send a single message over its own connection."""
    with SmtpSession(settings) as session:
        return session.send(message)


def _describe(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"


# ---------------------------------------------------------------------------
# A week's run


def deliver_week(
    con: duckdb.DuckDBPyConnection,
    *,
    report_date: dt.date | None,
    recipients: Recipients,
    outbox_dir: Path,
    smtp: SmtpSettings | None = None,
) -> DeliveryReport:
    """Deliver every district email of a week not delivered yet (to .eml files or SMTP).

    Failures never raise: a message the server refused, or could not be offered because the
    server was unreachable, or that failed to render, stays 'pending' for the next run and is
    listed in ``errors``.
    """
    ensure_outbox(con)
    channel = CHANNEL_OUTBOX if smtp is None else CHANNEL_SMTP
    if report_date is None:
        return DeliveryReport(None, 0, 0, 0, 0, 0, (), (), channel)
    plans, done, cancel = plan_week(con, report_date, channel)
    errors: list[str] = []
    if not plans and not done:
        errors.append(f"no CBHI figures in the marts for the week ending {report_date}")
    _cancel(con, report_date, channel, cancel)

    # Every email of the run is on record as pending before the first one leaves.
    outgoing: list[Outgoing] = []
    for plan in plans:
        try:
            email = address(plan, recipients)
        except LookupError as error:
            errors.append(f"{plan.week.district_id}: {error}")
            log.error("email for %s not sent: %s", plan.week.district_id, error)
            continue
        _record_pending(con, email, channel)
        outgoing.append(email)
    log.info(
        "emails for %s: %d to deliver (%d corrections), %d already delivered, via %s",
        report_date,
        len(outgoing),
        sum(e.plan.revision > 1 for e in outgoing),
        done,
        "dry-run outbox" if smtp is None else repr(smtp),
    )

    paths: list[Path] = []
    if smtp is None:
        delivered = _write_all(con, outgoing, outbox_dir, paths, errors)
    else:
        delivered = _send_all(con, outgoing, smtp, errors)

    row = con.execute(
        "select count(*) from ops.email_deliveries where status = 'pending' and channel = ?",
        [channel],
    ).fetchone()
    report = DeliveryReport(
        report_date=report_date,
        planned=len(plans),
        delivered=delivered,
        already_done=done,
        pending=int(row[0]) if row else 0,
        corrections=sum(p.revision > 1 for p in plans),
        errors=tuple(errors),
        paths=tuple(paths),
        channel=channel,
    )
    log.info(
        "emails for %s: %d delivered, %d already delivered, %d pending, %d errors",
        report_date,
        report.delivered,
        report.already_done,
        report.pending,
        len(report.errors),
    )
    return report


def _render(
    con: duckdb.DuckDBPyConnection, email: Outgoing, channel: str, errors: list[str]
) -> EmailMessage | None:
    """The email's message, or None (left pending, error noted) if rendering failed."""
    try:
        return build_message(email)
    except Exception as error:  # one district's odd data must not hold back the others
        reason = f"rendering failed: {_describe(error)}"
        _mark(con, email.plan, channel, status=STATUS_PENDING, error=reason)
        errors.append(f"{email.district_id}: {reason}")
        log.exception("email for %s left pending: rendering failed", email.district_id)
        return None


def _write_all(
    con: duckdb.DuckDBPyConnection,
    outgoing: list[Outgoing],
    outbox_dir: Path,
    paths: list[Path],
    errors: list[str],
) -> int:
    for email in outgoing:
        message = _render(con, email, CHANNEL_OUTBOX, errors)
        if message is None:
            continue
        path = write_eml(message, outbox_dir, email.plan.week, email.plan.revision)
        _mark(con, email.plan, CHANNEL_OUTBOX, status=STATUS_DELIVERED, path=path)
        paths.append(path)
    return len(paths)


def _send_all(
    con: duckdb.DuckDBPyConnection,
    outgoing: list[Outgoing],
    smtp: SmtpSettings,
    errors: list[str],
) -> int:
    delivered = 0
    with SmtpSession(smtp) as session:
        for index, email in enumerate(outgoing):
            district = email.district_id
            try:
                session.open()
            except (OSError, smtplib.SMTPException) as error:
                # The server cannot be reached or refuses us: offering the other messages
                # would fail the same way (and could take a timeout each).
                reason = f"SMTP server unavailable: {_describe(error)}"
                left = outgoing[index:]
                errors.append(f"{reason}; {len(left)} emails left pending")
                log.warning("%s; %d emails left pending", reason, len(left))
                for other in left:
                    _mark(
                        con,
                        other.plan,
                        CHANNEL_SMTP,
                        status=STATUS_PENDING,
                        attempted=other is email,
                        error=reason,
                    )
                break
            message = _render(con, email, CHANNEL_SMTP, errors)
            if message is None:
                continue
            try:
                refused = session.send(message)
            except (OSError, smtplib.SMTPException) as error:
                _mark(con, email.plan, CHANNEL_SMTP, status=STATUS_PENDING, error=_describe(error))
                errors.append(f"{district}: {_describe(error)}")
                log.warning("email for %s left pending: %s", district, _describe(error))
                continue
            note = None
            if refused:
                note = "refused recipients: " + ", ".join(
                    f"{addr} ({code} {reply.decode(errors='replace')})"
                    for addr, (code, reply) in sorted(refused.items())
                )
                errors.append(f"{district}: {note}")
                log.warning("email for %s delivered, but %s", district, note)
            _mark(con, email.plan, CHANNEL_SMTP, status=STATUS_DELIVERED, error=note)
            delivered += 1
    return delivered


def read_eml(path: Path) -> EmailMessage:
    with path.open("rb") as handle:
        message = BytesParser(policy=policy.default).parse(handle)
    assert isinstance(message, EmailMessage)
    return message
