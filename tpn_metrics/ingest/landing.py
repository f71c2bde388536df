"""The landing zone: keep every received file by content hash, record it, load it atomically.

A file is loaded in one DuckDB transaction together with its ledger row, so a crash leaves
either the whole file or nothing. A newer, different file for the same week, survey year or
registry supersedes the earlier one: its rows stay, flagged ``is_superseded``, and both ledger
rows point at each other.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import shutil
import stat
from dataclasses import asdict, dataclass, fields
from pathlib import Path

import duckdb
import pandas as pd

from tpn_metrics.ingest.parsed import ParsedFile
from tpn_metrics.ingest.vocabulary import WHOLE_PERIOD_KINDS, FileKind, FileStatus
from tpn_metrics.warehouse import LANDING_TABLES, registered, transaction

REGISTRY_FILES = ("institutions", "priorities", "strengths", "pairs", "events")


def sha256_of(path: Path) -> str:
    """The content hash of a file, or of a registry folder (its CSVs by name and content)."""
    digest = hashlib.sha256()
    if path.is_dir():
        for name in REGISTRY_FILES:
            member = path / f"{name}.csv"
            if member.exists():
                digest.update(f"{name}:{sha256_of(member)}\n".encode())
        return digest.hexdigest()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def safe_display_name(path: Path) -> str:
    """The name to record: never a path, whatever the sender put in it."""
    name = path.name.replace("\\", "/").split("/")[-1]
    cleaned = "".join(ch if ch.isprintable() else "?" for ch in name).strip(" .")
    return cleaned[:200] or "unnamed"


def store_copy(path: Path, store: Path, sha256: str) -> Path:
    """Copy the file, unchanged, to ``store/<sha[:2]>/<sha><suffix>``; read-only once there."""
    suffix = (
        ""
        if path.is_dir()
        else "".join(ch for ch in path.suffix.lower() if ch.isalnum() or ch == ".")[:8]
    )
    target = store / sha256[:2] / f"{sha256}{suffix}"
    if target.exists():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    if path.is_dir():
        if partial.exists():
            shutil.rmtree(partial)
        partial.mkdir()
        for name in REGISTRY_FILES:
            member = path / f"{name}.csv"
            if member.exists():
                shutil.copyfile(member, partial / member.name)
    else:
        shutil.copyfile(path, partial)
    partial.rename(target)  # atomic: the store never holds half a file under its final name
    for item in [target, *target.rglob("*")] if target.is_dir() else [target]:
        mode = item.stat().st_mode
        item.chmod(mode & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))
    return target


@dataclass(frozen=True, kw_only=True)
class LedgerEntry:
    """One row of ``landing.file_ledger`` to write (all but ``received_at``), by column name.

    ``reason`` is why a file was refused (None when loaded); ``warnings`` what was accepted
    with a remark, joined by "; "; ``row_count`` the landing rows written; ``period_key`` the
    week (ISO date), survey year, "registry" or payments span it covers; ``stored_path`` where
    its copy is kept, or a note saying why none is.

    For the data-quality review's timeliness (issue #21): ``delivered_at`` is when the file
    reached the drop folder (naive UTC, :func:`delivered_at_of`; None when unknown);
    ``due_at`` the deadline of an RSSB week (naive UTC, from
    :class:`tpn_metrics.lateness.FileDeadline`; None for other kinds or an unread date);
    ``is_backfill`` true when the file was loaded by a backfill (history, not a delivery).
    """

    file_sha256: str
    file_name: str
    kind: FileKind
    status: FileStatus
    stored_path: str
    reason: str | None = None
    warnings: str | None = None
    row_count: int | None = None
    period_key: str | None = None
    superseded_by: str | None = None
    xlsx_sheet: str | None = None  # the workbook sheet read (XLSX only)
    delivered_at: dt.datetime | None = None
    due_at: dt.datetime | None = None
    is_backfill: bool = False


def delivered_at_of(path: Path, received_at: dt.datetime) -> dt.datetime:
    """When a file reached the drop folder: its modification time, as naive UTC, never later
    than ``received_at`` (naive UTC); for a registry folder, its newest member CSV.

    A copy that preserves times (``cp -p``, ``rsync -t``) shows the sender's save time
    instead, which can only make a file look earlier. Raises OSError when the path is gone.
    """
    members = [path / f"{name}.csv" for name in REGISTRY_FILES] if path.is_dir() else [path]
    stamps = [m.stat().st_mtime for m in members if m.is_file()] or [path.stat().st_mtime]
    modified = dt.datetime.fromtimestamp(max(stamps), dt.UTC).replace(tzinfo=None)
    return min(modified, received_at)


def first_delivered_at(con: duckdb.DuckDBPyConnection, sha256: str) -> dt.datetime | None:
    """A replayed file's delivery (naive UTC): the ledger's ``delivered_at``, else its first
    ``received_at``; None when the ledger has no row for it."""
    row = con.execute(
        "select coalesce(delivered_at, received_at) from landing.file_ledger where file_sha256 = ?",
        [sha256],
    ).fetchone()
    return row[0] if row else None


@dataclass(frozen=True, kw_only=True)
class LedgerRecord:
    """What the ledger holds of a file received before (``landing.file_ledger``)."""

    status: FileStatus
    kind: FileKind
    reason: str | None
    received_at: dt.datetime
    period_key: str | None
    xlsx_sheet: str | None


def ledger_record(con: duckdb.DuckDBPyConnection, sha256: str) -> LedgerRecord | None:
    """The ledger's row for a file's SHA-256, or None for a file never received."""
    columns = [field.name for field in fields(LedgerRecord)]
    row = con.execute(
        f"select {', '.join(columns)} from landing.file_ledger where file_sha256 = ?",
        [sha256],
    ).fetchone()
    if row is None:
        return None
    found = dict(zip(columns, row, strict=True))
    return LedgerRecord(
        **found | {"status": FileStatus(found["status"]), "kind": FileKind(found["kind"])}
    )


def still_refused_reason(record: LedgerRecord) -> str:
    """The reason given when a file still in quarantine arrives again: the same bytes are
    refused for the same reasons, and the sender (or operator) is told how to end it."""
    return (
        f"refused when first received on {record.received_at:%Y-%m-%d %H:%M} UTC and still "
        f"in quarantine: {record.reason}; send a corrected file, or remove this one from the "
        "drop folder and `tpn quarantine dismiss SHA --reason TEXT`"
    )


def write_ledger_row(
    con: duckdb.DuckDBPyConnection, entry: LedgerEntry, received_at: dt.datetime
) -> None:
    """Write a file's ledger row, replacing any earlier one for the same SHA-256.

    Columns are named from the entry's fields, values bound by name (``$file_sha256``...);
    ``received_at`` is naive UTC. Runs in the caller's transaction, if any.
    """
    row = asdict(entry) | {"received_at": received_at}
    con.execute("delete from landing.file_ledger where file_sha256 = ?", [entry.file_sha256])
    con.execute(
        f"insert into landing.file_ledger ({', '.join(row)}) "
        f"values ({', '.join(f'${column}' for column in row)})",
        row,
    )


def record_refusal(
    con: duckdb.DuckDBPyConnection, entry: LedgerEntry, received_at: dt.datetime
) -> None:
    """A quarantined or crashed file: a ledger row, and nothing else changes."""
    write_ledger_row(con, entry, received_at)


def load_parsed(
    con: duckdb.DuckDBPyConnection,
    entry: LedgerEntry,
    parsed: ParsedFile,
    received_at: dt.datetime,
) -> str | None:
    """Load one file's rows and ledger row in one transaction; return the sha it superseded.

    Only kinds of ``WHOLE_PERIOD_KINDS`` supersede the loaded file of the same period; a DHIS2
    export supersedes nothing (its values are replaced one by one in dbt's staging)."""
    with transaction(con):
        previous = (
            con.execute(
                """
                select file_sha256 from landing.file_ledger
                where kind = ? and period_key = ? and status = ?
                """,
                [parsed.kind, parsed.period_key, FileStatus.LOADED],
            ).fetchall()
            if parsed.kind in WHOLE_PERIOD_KINDS
            else []
        )
        superseded = [str(row[0]) for row in previous]
        for old in superseded:
            for table in LANDING_TABLES:
                con.execute(
                    f"update landing.{table} set is_superseded = true where file_sha256 = ?",
                    [old],
                )
            con.execute(
                """
                update landing.file_ledger set status = ?, superseded_by = ?
                where file_sha256 = ?
                """,
                [FileStatus.SUPERSEDED, entry.file_sha256, old],
            )
        for table, frame in parsed.tables.items():
            if frame.empty:
                continue
            rows = frame.assign(
                file_sha256=entry.file_sha256, loaded_at=received_at, is_superseded=False
            )
            columns = ", ".join(rows.columns)
            with registered(con, "incoming_rows", rows):
                con.execute(
                    f"insert into landing.{table} ({columns}) select {columns} from incoming_rows"
                )
        write_ledger_row(con, entry, received_at)
    return superseded[0] if superseded else None


def previous_week_members(
    con: duckdb.DuckDBPyConnection, report_date: dt.date, fiscal_year_start: dt.date
) -> tuple[dt.date | None, pd.DataFrame]:
    """The latest current report before this date in the same fiscal year, per district."""
    row = con.execute(
        """
        select max(report_date) from landing.rssb_weekly
        where not is_superseded and report_date < ? and report_date >= ?
        """,
        [report_date, fiscal_year_start],
    ).fetchone()
    previous = row[0] if row else None
    if previous is None:
        return None, pd.DataFrame(columns=["district_id", "members_paid"])
    frame = con.execute(
        """
        select district_id, members_paid from landing.rssb_weekly
        where not is_superseded and report_date = ?
        """,
        [previous],
    ).df()
    return previous, frame


# Per kind: the landing table, its period column and the entity one row stands for.
_RESUBMITTED = {
    FileKind.RSSB_WEEKLY: ("rssb_weekly", "report_date", "district_id", "district_name_received"),
    FileKind.ACCREDITATION: (
        "accreditation_results",
        "survey_year",
        "hospital_id",
        "hospital_name_received",
    ),
}


def lacking_from_resubmission(
    con: duckdb.DuckDBPyConnection, parsed: ParsedFile
) -> tuple[list[str], str | None]:
    """What a new file for an already loaded week (or survey year) would lose.

    Returns (ids of the districts or hospitals the current load has and this file lacks,
    the file name of the current load). A registry is always whole and is not checked.
    """
    if parsed.kind not in _RESUBMITTED:
        return [], None
    table, period, entity, received = _RESUBMITTED[parsed.kind]
    rows = con.execute(
        f"""
        select t.{entity}, any_value(t.{received}), any_value(l.file_name)
        from landing.{table} t join landing.file_ledger l using (file_sha256)
        where not t.is_superseded and cast(t.{period} as varchar) = ?
        group by t.{entity}
        """,
        [parsed.period_key],
    ).fetchall()
    incoming = set(parsed.tables[table][entity])
    lacking = sorted(str(row[0]) for row in rows if row[0] not in incoming)
    names = sorted({str(row[2]) for row in rows})
    return lacking, ", ".join(names) or None


@dataclass(frozen=True)
class LedgerLine:
    """One received file as `tpn ledger` shows it (a row of ``landing.file_ledger``)."""

    file_name: str
    kind: FileKind
    status: FileStatus
    period_key: str | None
    row_count: int | None
    received_at: dt.datetime
    #: The sheet read (loaded XLSX files), then the reason or the warnings; "" when none.
    detail: str
    #: The first 12 hex digits of the file's SHA-256, as `tpn quarantine` and --replay take.
    sha256_prefix: str


def ledger_lines(con: duckdb.DuckDBPyConnection) -> list[LedgerLine]:
    """Every file the ledger holds, oldest received first (then kind, period, name); an empty
    list when ``landing.file_ledger`` does not exist yet (nothing received)."""
    from tpn_metrics.warehouse import table_exists

    if not table_exists(con, "landing", "file_ledger"):
        return []
    rows = con.execute(
        """
        select file_name, kind, status, period_key, row_count, received_at,
            concat_ws('; ', case when status != 'quarantined' and xlsx_sheet is not null
                then 'sheet ''' || xlsx_sheet || '''' end, coalesce(reason, warnings)),
            left(file_sha256, 12)
        from landing.file_ledger
        order by received_at, kind, period_key, file_name
        """
    ).fetchall()
    return [
        LedgerLine(
            file_name=name,
            kind=FileKind(kind),
            status=FileStatus(status),
            period_key=period_key,
            row_count=row_count,
            received_at=received_at,
            detail=detail,
            sha256_prefix=sha,
        )
        for name, kind, status, period_key, row_count, received_at, detail, sha in rows
    ]
