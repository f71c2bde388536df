"""Which publish failures are worth retrying: lost or refused connections, nothing else.

A publish is one transaction, so retrying it after a dropped connection is safe; retrying a
type error, a missing permission or a full disk would only fail again, later.
"""

from __future__ import annotations

import re

import sqlalchemy as sa

#: SQLSTATEs that mean "the connection, not the statement": class 08 (connection exception),
#: too many connections, and the server shutting down or starting up.
_CONNECTION_SQLSTATES = frozenset({"53300", "57P01", "57P02", "57P03"})
#: A server that refuses a new connection says FATAL; only these reasons pass with time.
#: A wrong database, role, password or pg_hba.conf entry would fail the same way again.
_TRANSIENT_FATAL = re.compile(
    r"starting up|shutting down|recovery mode|too many clients|connection slots|"
    r"terminating connection",
    re.IGNORECASE,
)


def _causes(error: BaseException) -> list[BaseException]:
    chain, seen = [], set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        chain.append(current)
        orig = getattr(current, "orig", None)
        current = orig if isinstance(orig, BaseException) else current.__cause__
    return chain


def _driver_says_connection(error: BaseException) -> bool:
    try:
        import psycopg
    except ImportError:  # pragma: no cover - psycopg is how we reach PostgreSQL
        return False
    if isinstance(error, psycopg.OperationalError):
        sqlstate = getattr(error, "sqlstate", None)
        if sqlstate is None:
            # Raised by the client: refused, reset, timed out, closed by the server, or a
            # server's FATAL refusal of the connection (libpq gives no SQLSTATE for those).
            message = str(error)
            return "FATAL:" not in message or bool(_TRANSIENT_FATAL.search(message))
        return sqlstate.startswith("08") or sqlstate in _CONNECTION_SQLSTATES
    return False


def is_connection_error(error: BaseException) -> bool:
    """True when ``error`` (or what it wraps) is a lost, refused or timed-out connection."""
    for cause in _causes(error):
        if isinstance(cause, sa.exc.DisconnectionError | sa.exc.TimeoutError):
            return True
        if isinstance(cause, sa.exc.DBAPIError) and cause.connection_invalidated:
            return True
        if isinstance(cause, ConnectionError | TimeoutError):
            return True
        if _driver_says_connection(cause):
            return True
    return False
