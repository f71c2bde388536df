"""Messages to the data team (failure notices, late-file alerts): one delivery path.

Over SMTP (``TPN_SMTP_*``) to ``data_team`` of the recipients file (``TPN_RECIPIENTS``, else
tpn_metrics/emails/recipients.yaml); without SMTP, or when sending fails, written as an
``.eml`` file under ``<TPN_HOME>/outbox/<folder>/``.
"""

from __future__ import annotations

import datetime as dt
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr

from tpn_metrics.emails.eml import write_stamped_eml
from tpn_metrics.emails.recipients import load_recipients
from tpn_metrics.emails.smtp import SMTP_ERRORS, describe, smtp_send
from tpn_metrics.settings import ConfigurationError, Settings


def data_team_message(subject: str, text: str, settings: Settings, *, kind: str) -> EmailMessage:
    """The message, addressed to the data team (the sender when no data_team is listed).

    ``kind`` names the Message-ID's left part (``tpn-failure``, ``tpn-late-file``). Raises
    OSError or ValueError when the recipients file cannot be read or is invalid.
    """
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
    problem = ""
    try:
        smtp = settings.smtp
    except ConfigurationError as error:  # a notice must not be lost to a wrong SMTP setting
        smtp, problem = None, f" (SMTP not used: {error})"
    if smtp is not None:
        try:
            smtp_send(smtp, message)
            return f"emailed to {message['To']} via {smtp.host}"
        except SMTP_ERRORS as error:
            problem = f" (SMTP failed: {describe(error)})"
    name = name or str(message["Subject"]).split(":")[0]
    path = write_stamped_eml(
        message, settings.outbox_dir / folder, name, now=dt.datetime.now(dt.UTC)
    )
    return f"written to {path}{problem}"
