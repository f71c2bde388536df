"""Exactly-once delivery of the weekly district emails.

``ops.email_outbox`` holds one row per (district, report week, revision, channel). A row is
written *before* delivery as 'pending' and marked 'delivered' after, so a re-run, a retry after
a crash, or the same file loaded twice finds the week already done; an SMTP outage leaves rows
'pending' for the next run. When RSSB supersedes a week that was already delivered, the new
figures go out as a new revision, marked as a correction.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import smtplib
import ssl
from collections.abc import Callable
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import formatdate
from pathlib import Path

import duckdb

from tpn_metrics.reports.district_weeks import district_weeks, week_source_files
from tpn_metrics.reports.email_content import DistrictWeek, render_district_email
from tpn_metrics.reports.recipients import Recipients

CHANNEL_OUTBOX = "outbox"
CHANNEL_SMTP = "smtp"


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int = 587
    username: str | None = None
    password: str | None = None
    security: str = "starttls"  # starttls | ssl | none
    timeout: float = 30.0

    def __repr__(self) -> str:  # never let a password reach a log line
        return f"SmtpSettings(host={self.host!r}, port={self.port}, security={self.security!r})"


@dataclass(frozen=True)
class DeliveryReport:
    report_date: dt.date | None
    planned: int
    delivered: int
    already_done: int
    pending: int
    corrections: int
    errors: tuple[str, ...]
    paths: tuple[Path, ...]


def ensure_outbox(con: duckdb.DuckDBPyConnection) -> None:
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


def _latest(
    con: duckdb.DuckDBPyConnection, district_id: str, report_date: dt.date, channel: str
) -> tuple[int, str, str] | None:
    row = con.execute(
        """
        select revision, source_file_sha256, status from ops.email_deliveries
        where district_id = ? and report_date = ? and channel = ?
        order by revision desc limit 1
        """,
        [district_id, report_date, channel],
    ).fetchone()
    return None if row is None else (int(row[0]), str(row[1]), str(row[2]))


def _message(week: DistrictWeek, recipients: Recipients, revision: int) -> EmailMessage:
    target = recipients.for_district(week.district_id)
    if target is None:
        raise LookupError(f"no recipients configured for district '{week.district_id}'")
    message = render_district_email(
        week, recipients=list(target.addresses), sender=recipients.sender, language=target.language
    )
    if revision > 2:
        # A second correction of the same week needs its own id or servers drop it as a repeat.
        old = message["Message-ID"]
        del message["Message-ID"]
        message["Message-ID"] = old.replace("@", f".r{revision}@", 1)
    return message


def plan_week(
    con: duckdb.DuckDBPyConnection, report_date: dt.date, channel: str, recipients: Recipients
) -> tuple[list[tuple[DistrictWeek, int]], int]:
    """Which (district, revision) still need delivering; and how many are already done."""
    sources = week_source_files(con, report_date)
    plans: list[tuple[DistrictWeek, int]] = []
    done = 0
    for week in district_weeks(con, report_date):
        latest = _latest(con, week.district_id, report_date, channel)
        source = sources[week.district_id]
        if latest is None:
            plans.append((week, 1))
        elif latest[2] == "pending":
            plans.append((week, latest[0]))
        elif latest[1] != source:
            plans.append((week, latest[0] + 1))
        else:
            done += 1
    return plans, done


def _record_pending(
    con: duckdb.DuckDBPyConnection,
    week: DistrictWeek,
    revision: int,
    channel: str,
    source: str,
    message: EmailMessage,
) -> None:
    con.execute(
        """
        insert into ops.email_deliveries
            (district_id, report_date, revision, channel, source_file_sha256, message_id,
             recipients, subject, is_correction, status, created_at, attempts)
        values (?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?, 0)
        on conflict do nothing
        """,
        [
            week.district_id,
            week.report_date,
            revision,
            channel,
            source,
            message["Message-ID"],
            ", ".join(message.get_all("To", [])),
            str(message["Subject"]),
            revision > 1,
            dt.datetime.now(dt.UTC).replace(tzinfo=None),
        ],
    )


def _mark(
    con: duckdb.DuckDBPyConnection,
    week: DistrictWeek,
    revision: int,
    channel: str,
    *,
    status: str,
    path: Path | None = None,
    error: str | None = None,
) -> None:
    con.execute(
        """
        update ops.email_deliveries
        set status = ?, eml_path = coalesce(?, eml_path), attempts = attempts + 1,
            last_error = ?, delivered_at = case when ? = 'delivered' then ? else delivered_at end
        where district_id = ? and report_date = ? and revision = ? and channel = ?
        """,
        [
            status,
            None if path is None else str(path),
            error,
            status,
            dt.datetime.now(dt.UTC).replace(tzinfo=None),
            week.district_id,
            week.report_date,
            revision,
            channel,
        ],
    )


def write_eml(message: EmailMessage, outbox_dir: Path, week: DistrictWeek, revision: int) -> Path:
    folder = outbox_dir / week.report_date.isoformat()
    folder.mkdir(parents=True, exist_ok=True)
    suffix = "" if revision == 1 else f"-r{revision}"
    path = folder / f"{week.district_id}{suffix}.eml"
    partial = path.with_suffix(".eml.partial")
    partial.write_bytes(message.as_bytes(policy=policy.SMTP))
    partial.replace(path)
    return path


def smtp_send(settings: SmtpSettings, message: EmailMessage) -> None:
    if "Date" not in message:
        message["Date"] = formatdate(localtime=False)
    context = ssl.create_default_context()
    if settings.security == "ssl":
        client: smtplib.SMTP = smtplib.SMTP_SSL(
            settings.host, settings.port, timeout=settings.timeout, context=context
        )
    else:
        client = smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout)
    with client:
        if settings.security == "starttls":
            client.starttls(context=context)
        if settings.username:
            client.login(settings.username, settings.password or "")
        client.send_message(message)


def deliver_week(
    con: duckdb.DuckDBPyConnection,
    *,
    report_date: dt.date | None,
    recipients: Recipients,
    outbox_dir: Path,
    smtp: SmtpSettings | None = None,
    send: Callable[[SmtpSettings, EmailMessage], None] = smtp_send,
) -> DeliveryReport:
    """Deliver every district email of a week not delivered yet (to .eml files or SMTP)."""
    ensure_outbox(con)
    if report_date is None:
        return DeliveryReport(None, 0, 0, 0, 0, 0, (), ())
    channel = CHANNEL_OUTBOX if smtp is None else CHANNEL_SMTP
    sources = week_source_files(con, report_date)
    plans, done = plan_week(con, report_date, channel, recipients)
    delivered, errors, paths = 0, [], []
    corrections = 0
    for planned, revision in plans:
        week = planned
        if revision > 1:
            week = dataclasses.replace(planned, is_correction=True)
            corrections += 1
        message = _message(week, recipients, revision)
        _record_pending(con, week, revision, channel, sources[week.district_id], message)
        if smtp is None:
            path = write_eml(message, outbox_dir, week, revision)
            paths.append(path)
            _mark(con, week, revision, channel, status="delivered", path=path)
            delivered += 1
            continue
        try:
            send(smtp, message)
        except (OSError, smtplib.SMTPException) as error:
            _mark(
                con,
                week,
                revision,
                channel,
                status="pending",
                error=f"{type(error).__name__}: {error}",
            )
            errors.append(f"{week.district_id}: {type(error).__name__}: {error}")
            continue
        _mark(con, week, revision, channel, status="delivered")
        delivered += 1
    pending = con.execute(
        "select count(*) from ops.email_deliveries where status = 'pending' and channel = ?",
        [channel],
    ).fetchone()
    return DeliveryReport(
        report_date=report_date,
        planned=len(plans),
        delivered=delivered,
        already_done=done,
        pending=int(pending[0]) if pending else 0,
        corrections=corrections,
        errors=tuple(errors),
        paths=tuple(paths),
    )


def read_eml(path: Path) -> EmailMessage:
    with path.open("rb") as handle:
        message = BytesParser(policy=policy.default).parse(handle)
    assert isinstance(message, EmailMessage)
    return message
