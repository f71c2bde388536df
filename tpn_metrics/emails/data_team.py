"""Messages to the data team (failure notices, late-file alerts): one delivery path.

Over SMTP (``TPN_SMTP_*``) to ``data_team`` of the recipients file (``TPN_RECIPIENTS``, else
tpn_metrics/reports/recipients.yaml); without SMTP, or when sending fails, written as an
``.eml`` file under ``<TPN_HOME>/outbox/<folder>/``.
"""

from __future__ import annotations

import datetime as dt
import re
import smtplib
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr

from tpn_metrics.settings import Settings


def data_team_message(subject: str, text: str, settings: Settings, *, kind: str) -> EmailMessage:
    """The message, addressed to the data team (the sender when no data_team is listed)."""
    from tpn_metrics.reports.recipients import load_recipients

    recipients = load_recipients(settings.recipients_file)
    to = recipients.data_team or (parseaddr(recipients.sender)[1],)
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = recipients.sender
    message["To"] = ", ".join(to)
    message["Date"] = formatdate(localtime=False)
    domain = parseaddr(recipients.sender)[1].partition("@")[2] or "tpn.local"
    message["Message-ID"] = make_msgid(kind, domain=domain)
    message.set_content(text)
    return message


def deliver_to_data_team(
    message: EmailMessage, settings: Settings, *, folder: str, name: str | None = None
) -> str:
    """Send ``message`` over SMTP, else write it to ``outbox/<folder>/<UTC time>-<name>.eml``
    (``name`` defaults to the subject before its first colon); return where it went.

    Raises only when the .eml file cannot be written (a full or read-only disk).
    """
    from tpn_metrics.reports.outbox import smtp_send

    smtp = settings.smtp
    problem = ""
    if smtp is not None:
        try:
            smtp_send(smtp, message)
            return f"emailed to {message['To']} via {smtp.host}"
        except (OSError, smtplib.SMTPException) as error:
            problem = f" (SMTP failed: {type(error).__name__}: {error})"
    target = settings.outbox_dir / folder
    target.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    name = name or str(message["Subject"]).split(":")[0]
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower())[:60].strip("-")
    path = target / f"{stamp}-{slug}.eml"
    number = 1
    while path.exists():  # two messages in the same second: keep both
        number += 1
        path = target / f"{stamp}-{slug}-{number}.eml"
    path.write_bytes(bytes(message))
    return f"written to {path}{problem}"
