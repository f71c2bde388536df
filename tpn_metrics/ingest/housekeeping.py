"""Quarantine housekeeping: dismiss a refused file, or replay it once its reason is fixed.

- ``dismiss``: a file dropped by mistake (or superseded by a corrected one sent under another
  name) stays on record with status ``dismissed`` and the operator's reason; ``tpn status`` and
  ``tpn quarantine`` stop warning about it. The same bytes sent again are a duplicate.
- ``replay``: a file refused for a reason since fixed on our side (a new alias, a loader fix)
  is ingested again from the landing store's copy, under its original name; its ledger row is
  replaced by the new outcome.

Files are named by their SHA-256 or a unique prefix of it (as ``tpn quarantine`` shows).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from tpn_metrics.ingest.vocabulary import REFUSED_STATUSES, FileKind, FileStatus
from tpn_metrics.settings import Settings
from tpn_metrics.warehouse import ensure_landing_schema, open_warehouse, table_exists

REPLAYABLE = (*REFUSED_STATUSES, FileStatus.DISMISSED)
MIN_PREFIX = 6


class LedgerLookupError(ValueError):
    """The SHA given names no file, several files, or a file in the wrong state."""


@dataclass(frozen=True, kw_only=True)
class LedgerFile:
    """A received file as the ledger lists it (``landing.file_ledger``): its SHA-256 (hex),
    name, status, reason (why refused, and the dismissal note) and where its copy is kept."""

    file_sha256: str
    file_name: str
    status: FileStatus
    reason: str | None
    stored_path: str
    kind: FileKind | None = None  # None where the lookup did not read it


def _ledger_file(columns: list[str], row: tuple[Any, ...]) -> LedgerFile:
    found = dict(zip(columns, row, strict=True))
    found["status"] = FileStatus(found["status"])
    if "kind" in found:
        found["kind"] = FileKind(found["kind"])
    return LedgerFile(**found)


def files_with_status(settings: Settings, statuses: tuple[FileStatus, ...]) -> list[LedgerFile]:
    """Ledger rows in these statuses, oldest first (none when nothing was received yet)."""
    if not settings.warehouse_path.exists():
        return []
    with open_warehouse(settings.warehouse_path, read_only=True) as con:
        if not table_exists(con, "landing", "file_ledger"):
            return []
        columns = ["file_sha256", "file_name", "status", "reason", "stored_path", "kind"]
        rows = con.execute(
            f"""
            select {", ".join(columns)}
            from landing.file_ledger where status in ({", ".join("?" for _ in statuses)})
            order by received_at, kind, period_key, file_name
            """,
            list(statuses),
        ).fetchall()
    return [_ledger_file(columns, row) for row in rows]


def find_file(con: duckdb.DuckDBPyConnection, sha_prefix: str) -> LedgerFile:
    """The ledger row whose SHA-256 starts with ``sha_prefix`` (at least 6 hex digits)."""
    prefix = sha_prefix.strip().lower()
    if len(prefix) < MIN_PREFIX or any(ch not in "0123456789abcdef" for ch in prefix):
        raise LedgerLookupError(
            f"'{sha_prefix}' is not a SHA-256 or a prefix of one (at least {MIN_PREFIX} hex "
            "digits, as `tpn quarantine` shows)"
        )
    columns = ["file_sha256", "file_name", "status", "reason", "stored_path"]
    rows = con.execute(
        f"""
        select {", ".join(columns)}
        from landing.file_ledger where starts_with(file_sha256, ?) order by file_sha256
        """,
        [prefix],
    ).fetchall()
    if not rows:
        raise LedgerLookupError(f"no received file has a SHA-256 starting with '{prefix}'")
    if len(rows) > 1:
        names = ", ".join(f"{r[0][:12]} ({r[1]})" for r in rows[:5])
        raise LedgerLookupError(f"'{prefix}' matches {len(rows)} files: {names}; give more digits")
    return _ledger_file(columns, rows[0])


def dismiss(settings: Settings, sha_prefix: str, reason: str, *, now: dt.datetime) -> LedgerFile:
    """Mark a quarantined or crashed file ``dismissed``; its record and copy stay."""
    if not reason.strip():
        raise LedgerLookupError("say why the file is dismissed (--reason TEXT)")
    with open_warehouse(settings.warehouse_path) as con:
        ensure_landing_schema(con)
        found = find_file(con, sha_prefix)
        if found.status not in REFUSED_STATUSES:
            raise LedgerLookupError(
                f"{found.file_name} ({found.file_sha256[:12]}) is {found.status}, not in "
                "quarantine: only quarantined or crashed files can be dismissed"
            )
        note = f"[dismissed {now:%Y-%m-%d %H:%M} UTC: {reason.strip()}]"
        con.execute(
            """
            update landing.file_ledger
            set status = ?, reason = concat_ws(' ', reason, ?)
            where file_sha256 = ?
            """,
            [FileStatus.DISMISSED, note, found.file_sha256],
        )
    return found


def replay_target(settings: Settings, sha_prefix: str) -> LedgerFile:
    """The refused (or dismissed) file to ingest again, with its kept copy checked."""
    if not settings.warehouse_path.exists():
        raise LedgerLookupError("no warehouse yet: nothing has been received")
    with open_warehouse(settings.warehouse_path, read_only=True) as con:
        found = find_file(con, sha_prefix)
    if found.status not in REPLAYABLE:
        raise LedgerLookupError(
            f"{found.file_name} ({found.file_sha256[:12]}) is {found.status}: only "
            "quarantined, crashed or dismissed files can be replayed"
        )
    if not Path(found.stored_path).exists():
        raise LedgerLookupError(
            f"{found.file_name} ({found.file_sha256[:12]}) has no kept copy "
            f"({found.stored_path}): ask the sender for the file again"
        )
    return found
