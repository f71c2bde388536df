"""A run killed with SIGKILL while it sends the week's emails, then restarted.

``tpn emails send`` runs in a child process against a real SMTP server (aiosmtpd on
127.0.0.1). The server itself kills the child at a chosen moment of the k-th message:

- ``before-offer``: when the client announces message k (MAIL FROM), before anything of it
  is accepted. Nothing may be doubled.
- ``in-flight``: after the server has accepted message k, before the client hears "250".
  The ledger still says 'pending', so the restart sends it again under the same Message-ID
  (SMTP is at-least-once; mail clients drop a repeated Message-ID). Nothing else may be doubled.

Either way: the warehouse opens, the ledger says exactly what the server acknowledged, the
restart delivers every remaining email, and every district ends with one email (one
Message-ID). See docs/emails.md ("Exactly once, and its limit").
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.smtp import SMTP as SmtpServer
from aiosmtpd.smtp import Envelope, Session

from tests.emails.support import Recorder, ledger, text_parts
from tests.reliability.tally import TALLY
from tpn_metrics.settings import PROJECT_ROOT, Settings, SmtpSettings
from tpn_metrics.stages import run_emails

pytestmark = [pytest.mark.slow, pytest.mark.reliability]

N_DISTRICTS = 30
KILL_AT = 5  # the message during which the child dies (1-based)
CHILD_TIMEOUT = 180
VICTIM_TIMEOUT = 30  # seconds the server waits for the child's pid
DEATH_TIMEOUT = 10  # seconds the server waits to see the SIGKILLed child dead


def _dead(pid: int) -> bool:
    """The process is gone or a zombie: it will never run another instruction."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii")
    except (FileNotFoundError, ProcessLookupError):  # reaped before the open, or the read
        return True
    return stat.rsplit(")", 1)[1].split()[0] in {"Z", "X"}


@dataclass
class KillingRecorder(Recorder):
    """Records like ``Recorder``, and SIGKILLs the child during message ``kill_at``.

    The kill is synchronous in the server's handler: the reply the handler returns is not
    written before the child is seen dead, so the child can never read it. ``killed`` is set
    *before* the signal, so a test that sees the child dead also sees ``killed`` (the reverse
    order raced the test's own ``wait``); ``kill_confirmed`` is set once the server has seen
    the child dead, before its reply leaves.
    """

    kill_at: int = KILL_AT
    moment: str = "in-flight"  # or "before-offer"
    victim: int | None = None
    offers: int = 0
    killed: bool = False
    victim_known: threading.Event = field(default_factory=threading.Event)
    kill_confirmed: threading.Event = field(default_factory=threading.Event)

    def aim(self, pid: int) -> None:
        self.victim = pid
        self.victim_known.set()

    def _kill(self) -> None:
        # The handler waits for the pid rather than racing the test's assignment of it.
        assert self.victim_known.wait(VICTIM_TIMEOUT), "the child's pid was never given"
        assert self.victim is not None
        self.killed = True  # before the signal: whoever sees the child dead sees this too
        os.kill(self.victim, signal.SIGKILL)
        deadline = time.monotonic() + DEATH_TIMEOUT
        while not _dead(self.victim):
            if time.monotonic() > deadline:
                return  # kill_confirmed stays unset: the test fails on it
            time.sleep(0.001)
        self.kill_confirmed.set()

    async def handle_MAIL(
        self,
        server: SmtpServer,
        session: Session,
        envelope: Envelope,
        address: str,
        mail_options: list[str],
    ) -> str:
        self.offers += 1
        if self.moment == "before-offer" and self.offers == self.kill_at and not self.killed:
            self._kill()
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_DATA(self, server: SmtpServer, session: Session, envelope: Envelope) -> str:
        reply = await super().handle_DATA(server, session, envelope)
        if self.moment == "in-flight" and self.offers == self.kill_at and not self.killed:
            self._kill()  # the message is kept; the client dies before reading the reply
        return reply


def _send_in_a_child(settings: Settings, port: int) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "TPN_HOME": str(settings.home),
        "TPN_SMTP_HOST": "127.0.0.1",
        "TPN_SMTP_PORT": str(port),
        "TPN_SMTP_SECURITY": "none",
    }
    return subprocess.Popen(
        [sys.executable, "-c", "from tpn_metrics.cli import main; main()", "emails", "send"],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def _message_ids(received: list[Any]) -> dict[str, list[str]]:
    by_district: dict[str, list[str]] = defaultdict(list)
    for item in received:
        by_district[item.district_id].append(str(item.message["Message-ID"]))
    return by_district


@pytest.mark.parametrize("moment", ["in-flight", "before-offer"])
def test_a_run_killed_while_sending_loses_and_doubles_nothing(
    settings: Settings, start_smtp, moment: str
) -> None:
    recorder = KillingRecorder(moment=moment)
    server = start_smtp(recorder=recorder)
    port = server.port

    child = _send_in_a_child(settings, port)
    recorder.aim(child.pid)
    try:
        _, stderr = child.communicate(timeout=CHILD_TIMEOUT)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    assert recorder.killed, f"the child finished before the kill: {stderr.decode()[-2000:]}"
    assert recorder.kill_confirmed.wait(DEATH_TIMEOUT), "the server replied to a live child"
    TALLY.injected("email sending")
    assert child.returncode == -signal.SIGKILL

    # What the ledger says after the kill is exactly what the server acknowledged.
    acknowledged = KILL_AT - 1
    accepted = KILL_AT if moment == "in-flight" else KILL_AT - 1
    assert len(server.received) == accepted
    rows = ledger(settings)  # the killed process's writes are recovered from DuckDB's WAL
    assert len(rows) == N_DISTRICTS, "every email was on record as pending before the first left"
    delivered = {r["district_id"]: r for r in rows if r["status"] == "delivered"}
    pending = {r["district_id"]: r for r in rows if r["status"] == "pending"}
    assert (len(delivered), len(pending)) == (acknowledged, N_DISTRICTS - acknowledged)
    first_ids = _message_ids(server.received)
    assert set(delivered) <= set(first_ids)
    for district, row in delivered.items():
        assert first_ids[district] == [row["message_id"]]
    in_flight = server.received[-1].district_id if moment == "in-flight" else None
    if in_flight is not None:
        assert in_flight in pending, "accepted but unacknowledged: still pending"

    # The restart delivers every pending email, and a third run has nothing to do.
    smtp = SmtpSettings("127.0.0.1", port, security="none")
    restart = run_emails(settings, smtp=smtp)
    assert (restart.delivered, restart.pending, restart.errors) == (len(pending), 0, ())
    assert run_emails(settings, smtp=smtp).delivered == 0

    final = {r["district_id"]: r for r in ledger(settings)}
    assert len(final) == N_DISTRICTS
    assert {r["status"] for r in final.values()} == {"delivered"}
    assert {r["revision"] for r in final.values()} == {1}
    ids = _message_ids(server.received)
    assert set(ids) == set(final), "no district lost"
    for district, found in ids.items():
        assert set(found) == {final[district]["message_id"]}, f"{district}: one Message-ID"
    doubled = {d: len(found) for d, found in ids.items() if len(found) > 1}
    if in_flight is None:
        assert doubled == {}
    else:
        assert doubled == {in_flight: 2}
        first, second = (r.message for r in server.received if r.district_id == in_flight)
        assert first["Subject"] == second["Subject"]
        assert text_parts(first) == text_parts(second)

    TALLY.recovered_from("email sending")
    TALLY.emails(sent=len(ids), expected=N_DISTRICTS, resent=sum(n - 1 for n in doubled.values()))
