"""Delivery of the weekly district emails, once per district and week, with corrections.

Every email a run means to deliver is recorded first as 'pending' in the ledger
(:mod:`tpn_metrics.emails.ledger`); each is marked 'delivered' as soon as the SMTP server has
accepted it (:mod:`tpn_metrics.emails.smtp`), or its .eml file is written in a dry run
(:mod:`tpn_metrics.emails.eml`). So a re-run, a retry after a crash or the same file loaded
twice finds the week done, and an SMTP outage leaves rows 'pending' that the next run
delivers, under the same revision and Message-ID.

When RSSB supersedes a week that was already delivered, only the districts whose own figures
changed (members paid, households paid, RSSB target) get a new revision, marked as a
correction; a re-issued file with the same figures sends nothing. See ``docs/emails.md`` for
the guarantee and its limits (SMTP itself is at-least-once).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path

import duckdb

from tpn_metrics.emails.content import email_subject, message_id_for, render_district_email
from tpn_metrics.emails.district_figures import district_weeks, week_figures, week_source_files
from tpn_metrics.emails.eml import write_eml
from tpn_metrics.emails.ledger import (
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
from tpn_metrics.emails.recipients import Recipients
from tpn_metrics.emails.smtp import SMTP_ERRORS, SmtpSession, describe
from tpn_metrics.emails.week import DistrictWeek
from tpn_metrics.settings import SmtpSettings
from tpn_metrics.warehouse import transaction

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DeliveryReport:
    """What a run did for one week and channel (counts are emails, one per district)."""

    report_date: dt.date | None
    planned: int
    delivered: int
    already_done: int
    pending: int  # rows of this channel still pending after the run (any week)
    corrections: int  # corrections among the planned emails
    errors: tuple[str, ...]
    paths: tuple[Path, ...]
    channel: Channel = Channel.OUTBOX


@dataclass(frozen=True)
class PlannedEmail:
    """One district's email a run must deliver, under its revision (2+ is a correction)."""

    week: DistrictWeek  # is_correction set for revisions above 1
    revision: int
    source_file_sha256: str
    figures_sha256: str

    def key(self, channel: Channel) -> DeliveryKey:
        """Its row in the ledger for ``channel``."""
        return DeliveryKey(
            district_id=self.week.district_id,
            report_date=self.week.report_date,
            revision=self.revision,
            channel=channel,
        )


@dataclass(frozen=True)
class WeekPlan:
    """What a run must do for a week and channel."""

    emails: list[PlannedEmail]  # to deliver
    already_done: int  # districts whose delivered email carries today's figures
    to_cancel: list[DeliveryKey]  # pending corrections made moot (figures back as delivered)


def plan_week(con: duckdb.DuckDBPyConnection, report_date: dt.date, channel: Channel) -> WeekPlan:
    """Compare each district's figures for ``report_date`` with the ledger: what to send,
    what is already done, which pending corrections to cancel."""
    ensure_outbox(con)
    sources = week_source_files(con, report_date)
    figures = week_figures(con, report_date)
    ledger = ledger_rows(con, report_date, channel)
    plans: list[PlannedEmail] = []
    to_cancel: list[DeliveryKey] = []
    done = 0
    for week in district_weeks(con, report_date):
        district = week.district_id
        source, fingerprint = sources[district], figures[district]
        rows = ledger.get(district, [])
        delivered = [r for r in rows if r.status == DeliveryStatus.DELIVERED]
        pending = [r for r in rows if r.status == DeliveryStatus.PENDING]
        if delivered and delivered[-1].has_figures(fingerprint, source):
            done += 1
            to_cancel.extend(
                DeliveryKey(
                    district_id=district,
                    report_date=report_date,
                    revision=r.revision,
                    channel=channel,
                )
                for r in pending
            )
            continue
        # A pending email is retried under its revision (and Message-ID), with today's
        # figures; otherwise the next revision after any on record, cancelled ones included.
        revision = (
            pending[-1].revision if pending else 1 + max((r.revision for r in rows), default=0)
        )
        plans.append(
            PlannedEmail(
                week=dataclasses.replace(week, is_correction=revision > 1),
                revision=revision,
                source_file_sha256=source,
                figures_sha256=fingerprint,
            )
        )
    return WeekPlan(emails=plans, already_done=done, to_cancel=to_cancel)


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
        """The district the email is about (and for)."""
        return self.plan.week.district_id

    def pending_entry(self, channel: Channel) -> PendingEntry:
        """Its ledger row before it leaves."""
        return PendingEntry(
            key=self.plan.key(channel),
            source_file_sha256=self.plan.source_file_sha256,
            figures_sha256=self.plan.figures_sha256,
            message_id=self.message_id,
            recipients=self.to,
            subject=self.subject,
        )


def address(plan: PlannedEmail, recipients: Recipients) -> Outgoing:
    """Resolve a planned email's recipients, language, subject and Message-ID.

    Raises LookupError when the recipients file lists no one for the district.
    """
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
    """Render the email (text, HTML, chart) under the Message-ID the ledger holds."""
    message = render_district_email(
        email.plan.week, recipients=list(email.to), sender=email.sender, language=email.language
    )
    if message["Message-ID"] != email.message_id:
        del message["Message-ID"]
        message["Message-ID"] = email.message_id
    return message


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
    channel = Channel.OUTBOX if smtp is None else Channel.SMTP
    if report_date is None:
        return DeliveryReport(
            report_date=None,
            planned=0,
            delivered=0,
            already_done=0,
            pending=0,
            corrections=0,
            errors=(),
            paths=(),
            channel=channel,
        )
    plan = plan_week(con, report_date, channel)
    errors: list[str] = []
    if not plan.emails and not plan.already_done:
        errors.append(f"no CBHI figures in the marts for the week ending {report_date}")
    cancel(con, plan.to_cancel)

    # Every email of the run is on record as pending before the first one leaves, in one
    # transaction (one commit, not one per district).
    outgoing: list[Outgoing] = []
    for planned in plan.emails:
        try:
            email = address(planned, recipients)
        except LookupError as error:
            errors.append(f"{planned.week.district_id}: {error}")
            log.error("email for %s not sent: %s", planned.week.district_id, error)
            continue
        outgoing.append(email)
    with transaction(con):
        for email in outgoing:
            record_pending(con, email.pending_entry(channel))
    log.info(
        "emails for %s: %d to deliver (%d corrections), %d already delivered, via %s",
        report_date,
        len(outgoing),
        sum(e.plan.revision > 1 for e in outgoing),
        plan.already_done,
        "dry-run outbox" if smtp is None else repr(smtp),
    )

    paths: list[Path] = []
    if smtp is None:
        delivered = _write_all(con, outgoing, outbox_dir, paths, errors)
    else:
        delivered = _send_all(con, outgoing, smtp, errors)

    report = DeliveryReport(
        report_date=report_date,
        planned=len(plan.emails),
        delivered=delivered,
        already_done=plan.already_done,
        pending=pending_count(con, channel),
        corrections=sum(p.revision > 1 for p in plan.emails),
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
    con: duckdb.DuckDBPyConnection, email: Outgoing, channel: Channel, errors: list[str]
) -> EmailMessage | None:
    """The email's message, or None (left pending, error noted) if rendering failed."""
    try:
        return build_message(email)
    except Exception as error:  # one district's odd data must not hold back the others
        reason = f"rendering failed: {describe(error)}"
        mark(con, email.plan.key(channel), status=DeliveryStatus.PENDING, error=reason)
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
        message = _render(con, email, Channel.OUTBOX, errors)
        if message is None:
            continue
        path = write_eml(
            message,
            outbox_dir,
            report_date=email.plan.week.report_date,
            district_id=email.district_id,
            revision=email.plan.revision,
        )
        mark(con, email.plan.key(Channel.OUTBOX), status=DeliveryStatus.DELIVERED, path=path)
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
            key = email.plan.key(Channel.SMTP)
            try:
                session.open()
            except SMTP_ERRORS as error:
                # The server cannot be reached or refuses us: offering the other messages
                # would fail the same way (and could take a timeout each).
                reason = f"SMTP server unavailable: {describe(error)}"
                left = outgoing[index:]
                errors.append(f"{reason}; {len(left)} emails left pending")
                log.warning("%s; %d emails left pending", reason, len(left))
                for other in left:
                    mark(
                        con,
                        other.plan.key(Channel.SMTP),
                        status=DeliveryStatus.PENDING,
                        attempted=other is email,
                        error=reason,
                    )
                break
            message = _render(con, email, Channel.SMTP, errors)
            if message is None:
                continue
            try:
                refused = session.send(message)
            except SMTP_ERRORS as error:
                mark(con, key, status=DeliveryStatus.PENDING, error=describe(error))
                errors.append(f"{district}: {describe(error)}")
                log.warning("email for %s left pending: %s", district, describe(error))
                continue
            note = None
            if refused:
                note = "refused recipients: " + ", ".join(
                    f"{addr} ({code} {reply.decode(errors='replace')})"
                    for addr, (code, reply) in sorted(refused.items())
                )
                errors.append(f"{district}: {note}")
                log.warning("email for %s delivered, but %s", district, note)
            mark(con, key, status=DeliveryStatus.DELIVERED, error=note)
            delivered += 1
    return delivered
