"""The SMTP transport shared by every email we send: the district emails and the data team's
notices (failure notices, late-file alerts).

Configured by :class:`tpn_metrics.settings.SmtpSettings` (``TPN_SMTP_*``): plain, STARTTLS or
implicit TLS, verified against the system CAs plus an optional CA file, optional login.
"""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate
from types import TracebackType

from tpn_metrics.settings import SmtpSettings

#: Recipients the server refused while accepting the message for the others:
#: address → (SMTP reply code, reply text), as :meth:`smtplib.SMTP.send_message` returns them.
Refused = dict[str, tuple[int, bytes]]

#: What a failed SMTP exchange raises: the server unreachable (OSError) or refusing (SMTP).
SMTP_ERRORS = (OSError, smtplib.SMTPException)


def describe(error: BaseException) -> str:
    """One line for a ledger, a log or a notice: ``"<ExceptionClass>: <message>"``."""
    return f"{type(error).__name__}: {error}"


def _tls_context(settings: SmtpSettings) -> ssl.SSLContext:
    """Verifying context: the system CAs, plus ``ca_file`` if set (not instead of them)."""
    context = ssl.create_default_context()
    if settings.ca_file:
        context.load_verify_locations(cafile=settings.ca_file)
    return context


def smtp_connect(settings: SmtpSettings) -> smtplib.SMTP:
    """An open, secured and (if configured) authenticated SMTP session.

    Raises OSError (unreachable, TLS failure) or smtplib.SMTPException (refused login,
    STARTTLS not offered); the connection is closed before raising.
    """
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
        """Connect (see :func:`smtp_connect` for what it raises) unless already connected."""
        if self._client is None:
            self._client = smtp_connect(self.settings)

    def close(self) -> None:
        """QUIT politely, else drop the connection; never raises."""
        client, self._client = self._client, None
        if client is None:
            return
        try:
            client.quit()
        except SMTP_ERRORS:
            client.close()

    def send(self, message: EmailMessage) -> Refused:
        """Send one message (adding a ``Date`` if it has none); return the recipients the
        server refused (the others got it).

        Raises OSError or smtplib.SMTPException when the message was not accepted; the
        connection is then closed so that the next message starts afresh.
        """
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


def smtp_send(settings: SmtpSettings, message: EmailMessage) -> Refused:
    """Send a single message over its own connection; raises as :meth:`SmtpSession.send`."""
    with SmtpSession(settings) as session:
        return session.send(message)
