"""The SMTP transport against a real server (aiosmtpd on loopback): refused recipients are
returned, a refused message raises and the next one goes out on a fresh connection."""

from __future__ import annotations

import smtplib
from collections.abc import Iterator
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller

from tests.emails.support import Recorder, free_port
from tpn_metrics.emails.smtp import SmtpSession, describe, smtp_send
from tpn_metrics.settings import SmtpSettings


@pytest.fixture
def server() -> Iterator[tuple[Recorder, SmtpSettings]]:
    recorder = Recorder(unknown_addresses=frozenset({"nobody@example.org"}))
    port = free_port()
    controller = Controller(recorder, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield recorder, SmtpSettings(host="127.0.0.1", port=port, security="none", timeout=5)
    finally:
        controller.stop()


def _message(subject: str, *to: str) -> EmailMessage:
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = "tpn-data@example.org"
    message["To"] = ", ".join(to)
    message.set_content("Coverage 71.3 %\n")
    return message


def test_refused_recipients_are_returned_and_the_others_get_it(server):
    recorder, settings = server
    refused = smtp_send(settings, _message("one", "dhmt.gasabo@example.org", "nobody@example.org"))

    assert list(refused) == ["nobody@example.org"]
    assert refused["nobody@example.org"][0] == 550
    [received] = recorder.received
    assert received.rcpt_tos == ("dhmt.gasabo@example.org",)
    assert received.message["Date"]  # added when missing


def test_a_refused_message_raises_and_the_next_one_still_goes_out(server):
    recorder, settings = server
    recorder.refuse_next = 1
    with SmtpSession(settings) as session:
        with pytest.raises(smtplib.SMTPDataError) as raised:
            session.send(_message("first", "dhmt.huye@example.org"))
        assert describe(raised.value).startswith("SMTPDataError: (451")
        assert session.send(_message("second", "dhmt.huye@example.org")) == {}

    assert recorder.refused == 1
    assert [r.message["Subject"] for r in recorder.received] == ["second"]


def test_an_unreachable_server_raises_an_os_error():
    settings = SmtpSettings(host="127.0.0.1", port=free_port(), security="none", timeout=2)
    with pytest.raises(OSError):
        smtp_send(settings, _message("lost", "dhmt.huye@example.org"))
