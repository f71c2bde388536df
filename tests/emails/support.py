"""Helpers of the email tests: an aiosmtpd handler that records, an authenticator, readers."""

from __future__ import annotations

import csv
import datetime as dt
import re
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP as SmtpServer
from aiosmtpd.smtp import AuthResult, Envelope, LoginPassword, Session

from tpn_metrics.settings import Settings
from tpn_metrics.warehouse import open_warehouse

HELD_BACK = dt.date(2023, 6, 30)  # the last Friday of FY 2022/23, not loaded at first


@dataclass(frozen=True)
class SampleWeeks:
    root: Path
    files: dict[dt.date, Path]  # every weekly RSSB file the generator wrote, by Friday
    loaded: tuple[dt.date, ...]  # the Fridays in the session warehouse

    @property
    def latest(self) -> dt.date:
        return self.loaded[-1]


@dataclass(frozen=True)
class Received:
    mail_from: str
    rcpt_tos: tuple[str, ...]
    message: EmailMessage

    @property
    def district_id(self) -> str:
        # dhmt.<district>@example.org: the committed recipients.yaml names every address so.
        return self.rcpt_tos[0].split("@")[0].split(".", 1)[1]


@dataclass
class Recorder:
    """aiosmtpd handler: keeps every accepted message; answers 451 to the next N messages and
    550 to the addresses in ``unknown_addresses``."""

    refuse_next: int = 0
    unknown_addresses: frozenset[str] = frozenset()
    received: list[Received] = field(default_factory=list)
    refused: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_RCPT(
        self,
        server: SmtpServer,
        session: Session,
        envelope: Envelope,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        if address in self.unknown_addresses:
            return "550 5.1.1 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server: SmtpServer, session: Session, envelope: Envelope) -> str:
        with self.lock:
            if self.refuse_next > 0:
                self.refuse_next -= 1
                self.refused += 1
                return "451 4.3.0 Try again later"
            raw = envelope.original_content or envelope.content
            assert isinstance(raw, bytes)
            message = BytesParser(policy=policy.default).parsebytes(raw)
            assert isinstance(message, EmailMessage)
            self.received.append(
                Received(str(envelope.mail_from), tuple(envelope.rcpt_tos), message)
            )
            return "250 2.0.0 Accepted"


class PasswordCheck:
    """aiosmtpd authenticator accepting one login; counts attempts and successes."""

    def __init__(self, username: str, password: str) -> None:
        self.username, self.password = username.encode(), password.encode()
        self.attempts = 0
        self.successes = 0

    def __call__(
        self, server: SmtpServer, session: Session, envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        self.attempts += 1
        ok = (
            isinstance(data, LoginPassword)
            and data.login == self.username
            and data.password == self.password
        )
        self.successes += int(ok)
        return AuthResult(success=ok, handled=False)


@dataclass
class SmtpServerHandle:
    controller: Controller
    recorder: Recorder
    port: int

    @property
    def received(self) -> list[Received]:
        return self.recorder.received


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def data_team_smtp(monkeypatch: pytest.MonkeyPatch, *unset: str) -> Iterator[Recorder]:
    """A recording aiosmtpd server on 127.0.0.1 with ``TPN_SMTP_*`` pointing at it (no TLS, no
    login) and ``TPN_RECIPIENTS`` unset (the committed file's data_team); ``unset`` names
    further variables to clear. Stopped on exit."""
    recorder = Recorder()
    port = free_port()
    controller = Controller(recorder, hostname="127.0.0.1", port=port)
    controller.start()
    monkeypatch.setenv("TPN_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("TPN_SMTP_PORT", str(port))
    monkeypatch.setenv("TPN_SMTP_SECURITY", "none")
    for name in ("TPN_SMTP_USERNAME", "TPN_RECIPIENTS", *unset):
        monkeypatch.delenv(name, raising=False)
    try:
        yield recorder
    finally:
        controller.stop()


def text_parts(message: EmailMessage) -> tuple[str, str]:
    """(text/plain, text/html) of a district email."""
    plain = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",))
    assert plain is not None and html is not None
    return str(plain.get_content()), str(html.get_content())


_NUMBER = re.compile(r"\d{1,3}(?:[,\u202f\u00a0]\d{3})+|\d+")


def integers_in(text: str) -> set[int]:
    """Every integer written in ``text``, thousands separators (en, fr, rw) removed."""
    return {int(re.sub(r"\D", "", n)) for n in _NUMBER.findall(text)}


def ledger(settings: Settings, channel: str = "smtp") -> list[dict[str, Any]]:
    with open_warehouse(settings.warehouse_path, read_only=True) as con:
        frame = con.execute(
            "select * from ops.email_deliveries where channel = ? "
            "order by report_date, district_id, revision",
            [channel],
        ).df()
    return frame.to_dict("records")  # type: ignore[return-value]


def week_figures_table(settings: Settings, report_date: dt.date) -> dict[str, dict[str, Any]]:
    with open_warehouse(settings.warehouse_path, read_only=True) as con:
        frame = con.execute(
            """
            select district_id, district_name, members_paid, households_paid, target_population,
                source_file_sha256
            from marts.fct_cbhi_weekly inner join marts.dim_district using (district_id)
            where report_date = ?
            """,
            [report_date],
        ).df()
    return {row["district_id"]: row for row in frame.to_dict("records")}


def present(value: Any) -> bool:
    """Not None and not NaN (pandas reads a missing optional count as NaN)."""
    return value is not None and not pd.isna(value)


def _optional(value: Any) -> int | str:
    return int(value) if present(value) else ""


def write_rssb_file(
    path: Path,
    report_date: dt.date,
    rows: list[dict[str, Any]],
    *,
    members_change: dict[str, int] | None = None,
    extra_rows: list[dict[str, Any]] | None = None,
) -> Path:
    """An RSSB weekly file as RSSB might re-issue it: ';'-separated, dd/mm/yyyy dates, district
    names as written by hand, no coverage column (so its bytes differ from the original's)."""
    changes = members_change or {}
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, delimiter=";")
        writer.writerow(["Date", "District", "Target", "Paid members", "Paid households", "Amount"])
        for row in [*rows, *(extra_rows or [])]:
            writer.writerow(
                [
                    report_date.strftime("%d/%m/%Y"),
                    f"{row['district_name']} District",
                    int(row["target_population"]),
                    int(row["members_paid"]) + changes.get(row["district_id"], 0),
                    _optional(row["households_paid"]),
                    _optional(row["amount_collected_rwf"]),
                ]
            )
    return path


def week_rows(settings: Settings, report_date: dt.date) -> list[dict[str, Any]]:
    """The week's district rows as the marts hold them, with the district names."""
    with open_warehouse(settings.warehouse_path, read_only=True) as con:
        frame = con.execute(
            """
            select district_id, district_name, target_population, members_paid,
                households_paid, amount_collected_rwf
            from marts.fct_cbhi_weekly inner join marts.dim_district using (district_id)
            where report_date = ? order by district_id
            """,
            [report_date],
        ).df()
    return frame.to_dict("records")  # type: ignore[return-value]
