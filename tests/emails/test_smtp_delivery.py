"""One week's district emails over real SMTP (aiosmtpd on 127.0.0.1): who gets what, once.

Each test has its own copy of a warehouse built from the sample files (see conftest.py) and
its own SMTP server; nothing is mocked between ``run_emails`` and the server's socket.
"""

from __future__ import annotations

import base64
import csv
import dataclasses
import logging
import re

import pytest

from tests.emails.support import (
    PasswordCheck,
    Recorder,
    SmtpServerHandle,
    free_port,
    integers_in,
    ledger,
    present,
    text_parts,
    week_figures_table,
)
from tests.reliability.tally import TALLY
from tpn_metrics.emails.content import message_id_for
from tpn_metrics.emails.recipients import Recipients
from tpn_metrics.settings import Settings, SmtpSettings
from tpn_metrics.stages import run_emails
from tpn_metrics.warehouse import open_warehouse

pytestmark = pytest.mark.slow

N_DISTRICTS = 30


def plain_smtp(server: SmtpServerHandle, **options: object) -> SmtpSettings:
    return SmtpSettings(host="127.0.0.1", port=server.port, security="none", **options)  # type: ignore[arg-type]


def district_names(settings: Settings) -> dict[str, str]:
    with (settings.seeds_dir / "districts.csv").open(encoding="utf-8") as handle:
        return {row["district_id"]: row["district_name"] for row in csv.DictReader(handle)}


def cbhi_twins(settings: Settings) -> dict[str, set[str]]:
    """district → every district it is paired with on CBHI (active DHMT pairs, either side),
    read from the registry tables, not from the email code."""
    with open_warehouse(settings.warehouse_path, read_only=True) as con:
        rows = con.execute(
            """
            select rising.district_id, shining.district_id
            from marts.fct_twinning_pairs as pairs
            inner join marts.dim_institution as rising
                on pairs.rising_institution_id = rising.institution_id
            inner join marts.dim_institution as shining
                on pairs.shining_institution_id = shining.institution_id
            where pairs.topic = 'cbhi_enrollment' and pairs.is_active
                and rising.institution_kind = 'district' and shining.institution_kind = 'district'
            """
        ).fetchall()
    twins: dict[str, set[str]] = {}
    for rising, shining in rows:
        twins.setdefault(rising, set()).add(shining)
        twins.setdefault(shining, set()).add(rising)
    return twins


def by_district(server: SmtpServerHandle) -> dict[str, list[object]]:
    found: dict[str, list[object]] = {}
    for received in server.received:
        found.setdefault(received.district_id, []).append(received)
    return found


@pytest.mark.reliability
def test_each_district_gets_its_own_email_once(
    settings: Settings, recipients: Recipients, start_smtp, sample_weeks
) -> None:
    server = start_smtp()
    report = run_emails(settings, smtp=plain_smtp(server))

    assert report.report_date == sample_weeks.latest
    assert (report.planned, report.delivered, report.pending, report.errors) == (30, 30, 0, ())
    assert len(server.received) == N_DISTRICTS
    names = district_names(settings)
    twins = cbhi_twins(settings)
    assert twins, "the sample registry pairs districts on CBHI"
    figures = week_figures_table(settings, sample_weeks.latest)
    seen = set()
    for received in server.received:
        message = received.message
        district = received.district_id
        seen.add(district)
        configured = recipients.for_district(district)
        assert configured is not None
        # The envelope, not just the header, goes to exactly the district's addresses.
        assert received.rcpt_tos == configured.addresses
        assert [a.strip() for a in str(message["To"]).split(",")] == list(configured.addresses)
        assert received.mail_from == "tpn-data@example.org"
        assert message["Message-ID"] == message_id_for(
            district, sample_weeks.latest, is_correction=False
        )
        assert names[district] in str(message["Subject"])
        assert not str(message["Subject"]).startswith("[CORRECTION]")

        plain, html = text_parts(message)
        everything = "\n".join((str(message["Subject"]), plain, html))
        allowed = {district} | twins.get(district, set())
        for other, name in names.items():
            mentioned = re.search(rf"\b{re.escape(name)}\b", everything) is not None
            if other == district:
                assert mentioned
            elif other not in allowed:
                assert not mentioned, f"{district}'s email names {name}"

        numbers = integers_in(plain) | integers_in(html)
        own = figures[district]
        assert int(own["members_paid"]) in numbers  # the reader works: own figures are found
        assert int(own["target_population"]) in numbers
        for other, row in figures.items():
            if other == district:
                continue
            for column in ("members_paid", "households_paid", "target_population"):
                value = row[column]
                if present(value):  # households are optional
                    assert int(value) not in numbers, f"{district}'s email shows {other} {column}"
    assert seen == set(names)

    rows = ledger(settings)
    assert len(rows) == N_DISTRICTS
    assert {r["status"] for r in rows} == {"delivered"}
    assert {r["attempts"] for r in rows} == {1}

    again = run_emails(settings, smtp=plain_smtp(server))
    assert (again.planned, again.delivered, again.already_done) == (0, 0, 30)
    assert len(server.received) == N_DISTRICTS
    TALLY.emails(sent=len(seen), expected=N_DISTRICTS)


def test_refused_messages_are_delivered_next_run_exactly_once(
    settings: Settings, start_smtp
) -> None:
    server = start_smtp(recorder=Recorder(refuse_next=7))
    first = run_emails(settings, smtp=plain_smtp(server))
    assert (first.delivered, first.pending) == (23, 7)
    assert len(first.errors) == 7 and all("451" in e for e in first.errors)
    pending = {r["district_id"] for r in ledger(settings) if r["status"] == "pending"}
    assert len(pending) == 7
    assert not pending & {r.district_id for r in server.received}

    second = run_emails(settings, smtp=plain_smtp(server))
    assert (second.planned, second.delivered, second.already_done, second.pending) == (7, 7, 23, 0)
    assert {r.district_id for r in server.received[23:]} == pending

    third = run_emails(settings, smtp=plain_smtp(server))
    assert (third.planned, third.delivered) == (0, 0)
    counts = {d: len(m) for d, m in by_district(server).items()}
    assert len(counts) == N_DISTRICTS and set(counts.values()) == {1}
    ids = [str(r.message["Message-ID"]) for r in server.received]
    assert len(set(ids)) == N_DISTRICTS
    retried = {r["district_id"]: r for r in ledger(settings)}
    assert {retried[d]["attempts"] for d in pending} == {2}
    assert all(retried[d]["last_error"] is None for d in retried)


@pytest.mark.reliability
def test_server_down_then_up_delivers_everything_once(settings: Settings, start_smtp) -> None:
    port = free_port()  # nothing listens there yet
    smtp = SmtpSettings(host="127.0.0.1", port=port, security="none", timeout=5)
    TALLY.injected("SMTP server down")
    down = run_emails(settings, smtp=smtp)
    assert (down.planned, down.delivered, down.pending) == (30, 0, 30)
    # One connection attempt, not thirty: the run stops offering once the server is unreachable.
    assert len(down.errors) == 1 and "unavailable" in down.errors[0]
    rows = ledger(settings)
    assert sorted(r["attempts"] for r in rows) == [0] * 29 + [1]
    assert all("ConnectionRefusedError" in r["last_error"] for r in rows)

    server = start_smtp(port=port)
    up = run_emails(settings, smtp=smtp)
    assert (up.delivered, up.pending, up.errors) == (30, 0, ())
    again = run_emails(settings, smtp=smtp)
    assert again.delivered == 0
    counts = {d: len(m) for d, m in by_district(server).items()}
    assert len(counts) == N_DISTRICTS and set(counts.values()) == {1}
    TALLY.recovered_from("SMTP server down")
    TALLY.emails(sent=len(counts), expected=N_DISTRICTS)


def test_starttls_with_login_verifies_the_server_certificate(
    settings: Settings, start_smtp, tls_certificate
) -> None:
    check = PasswordCheck("tpn-mailer", "s3cret-Pa55")
    server = start_smtp(
        tls_context=tls_certificate.server_context,
        require_starttls=True,
        authenticator=check,
        auth_required=True,  # AUTH is offered only after STARTTLS (auth_require_tls default)
    )
    smtp = SmtpSettings(
        host="127.0.0.1",
        port=server.port,
        username="tpn-mailer",
        password="s3cret-Pa55",
        security="starttls",
        timeout=10,
    )
    # Without the private CA the certificate is not trusted: nothing is sent, all pending.
    untrusted = run_emails(settings, smtp=smtp)
    assert (untrusted.delivered, untrusted.pending) == (0, 30)
    assert "CERTIFICATE_VERIFY_FAILED" in untrusted.errors[0]
    assert check.attempts == 0 and server.received == []

    trusted = dataclasses.replace(smtp, ca_file=str(tls_certificate.ca_file))
    report = run_emails(settings, smtp=trusted)
    assert (report.delivered, report.pending, report.errors) == (30, 0, ())
    assert len(server.received) == N_DISTRICTS
    assert check.successes == 1  # one session, one login, thirty messages


def test_implicit_tls(settings: Settings, start_smtp, tls_certificate) -> None:
    server = start_smtp(ssl_context=tls_certificate.server_context, server_hostname="localhost")
    smtp = SmtpSettings(
        host="127.0.0.1",
        port=server.port,
        security="ssl",
        ca_file=str(tls_certificate.ca_file),
        timeout=10,
    )
    report = run_emails(settings, smtp=smtp)
    assert (report.delivered, report.errors) == (30, ())
    assert len(server.received) == N_DISTRICTS


def test_a_refused_address_does_not_hold_back_the_others(
    settings: Settings, recipients: Recipients, start_smtp
) -> None:
    server = start_smtp(recorder=Recorder(unknown_addresses=frozenset({"cbhi.huye@example.org"})))
    report = run_emails(settings, smtp=plain_smtp(server))
    assert report.delivered == 30
    assert report.errors == (
        "huye: refused recipients: cbhi.huye@example.org (550 5.1.1 No such user here)",
    )
    huye = next(r for r in server.received if r.district_id == "huye")
    assert huye.rcpt_tos == ("dhmt.huye@example.org",)
    row = next(r for r in ledger(settings) if r["district_id"] == "huye")
    assert row["status"] == "delivered" and "cbhi.huye@example.org" in row["last_error"]


PASSWORD = "Tw1nning-Secret-7731"


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS:UserWarning")
@pytest.mark.reliability
def test_password_never_reaches_the_logs(
    settings: Settings, start_smtp, caplog: pytest.LogCaptureFixture
) -> None:
    check = PasswordCheck("tpn-mailer", PASSWORD)
    # Plain loopback: AUTH without TLS needs auth_require_tls=False on the server; the client
    # allows an unencrypted login only to a loopback address.
    server = start_smtp(authenticator=check, auth_required=True, auth_require_tls=False)
    wrong = plain_smtp(server, username="tpn-mailer", password=PASSWORD + "-typo")
    right = plain_smtp(server, username="tpn-mailer", password=PASSWORD)
    assert PASSWORD not in repr(right) and PASSWORD not in str(right)
    assert "tpn-mailer" in repr(right)

    caplog.set_level(logging.DEBUG)
    refused = run_emails(settings, smtp=wrong)
    assert (refused.delivered, refused.pending) == (0, 30)
    assert "SMTPAuthenticationError" in refused.errors[0]
    accepted = run_emails(settings, smtp=right)
    assert accepted.delivered == 30
    assert check.successes == 1

    ours = [r for r in caplog.records if r.name.startswith("tpn_metrics")]
    assert any("SmtpSettings(host='127.0.0.1'" in r.getMessage() for r in ours)
    assert any("SMTPAuthenticationError" in r.getMessage() for r in ours)
    secrets = {PASSWORD, PASSWORD + "-typo"}
    encoded = {base64.b64encode(f"\0tpn-mailer\0{s}".encode()).decode() for s in secrets} | {
        base64.b64encode(s.encode()).decode() for s in secrets
    }
    for record in caplog.records:
        if record.name.startswith("mail.log"):  # the test server's own log, not the run's
            continue
        text = record.getMessage()
        assert not any(s in text for s in secrets | encoded), record.name
    for error in (*refused.errors, *accepted.errors):
        assert not any(s in error for s in secrets)
    for row in ledger(settings):
        assert not any(s in str(row["last_error"]) for s in secrets)


def test_settings_refuse_a_cleartext_password_to_a_remote_host() -> None:
    with pytest.raises(ValueError, match="unencrypted"):
        SmtpSettings(host="smtp.example.org", username="u", password="p", security="none")
    with pytest.raises(ValueError, match="starttls, ssl, none"):
        SmtpSettings(host="smtp.example.org", security="tls")
    assert SmtpSettings(host="::1", username="u", password="p", security="none").host == "::1"


def test_settings_from_environment() -> None:
    assert SmtpSettings.from_environment({}) is None
    smtp = SmtpSettings.from_environment(
        {
            "TPN_SMTP_HOST": "smtp.example.org",
            "TPN_SMTP_SECURITY": "SSL",
            "TPN_SMTP_USERNAME": "mailer",
            "TPN_SMTP_PASSWORD": "hunter2",
            "TPN_SMTP_CA_FILE": "/etc/ssl/private-ca.pem",
        }
    )
    assert smtp is not None
    assert (smtp.port, smtp.security, smtp.password, smtp.ca_file) == (
        465,
        "ssl",
        "hunter2",
        "/etc/ssl/private-ca.pem",
    )
    assert "hunter2" not in repr(smtp)


def test_dry_run_writes_each_file_once_and_does_not_count_as_sent(
    settings: Settings, start_smtp
) -> None:
    first = run_emails(settings)
    assert (first.channel, first.delivered, len(first.paths)) == ("outbox", 30, 30)
    assert all(p.exists() and p.parent.parent == settings.outbox_dir for p in first.paths)
    assert run_emails(settings).delivered == 0
    server = start_smtp()
    assert run_emails(settings, smtp=plain_smtp(server)).delivered == 30
