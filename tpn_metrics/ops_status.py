"""`tpn status`: is the warehouse up to date, and does anything need a person?

Reads the warehouse read-only: the last file loaded per source (from the ledger), how old
the latest RSSB report and the latest load are, emails still pending, files in quarantine.
:func:`collect_status` returns plain data; :func:`render_status` turns it into rich tables
for the command line.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from pathlib import Path

import duckdb
from rich.console import Group
from rich.table import Table
from rich.text import Text

from tpn_metrics import lateness
from tpn_metrics.ingest.vocabulary import FileKind, FileStatus
from tpn_metrics.settings import Settings
from tpn_metrics.warehouse import WarehouseBusyError, connect, table_exists

SOURCES = (FileKind.RSSB_WEEKLY, FileKind.ACCREDITATION, FileKind.REGISTRY, FileKind.DHIS2)


@dataclass(frozen=True)
class SourceLoad:
    """One source's loads, from ``landing.file_ledger``: its ``kind`` (one of
    :data:`SOURCES`), the count of files loaded (``loaded`` or since ``superseded``), when the
    newest of them was received (UTC) and the period key of the file now current."""

    kind: FileKind
    files_loaded: int
    last_loaded_at: dt.datetime | None  # UTC, when the newest file of this kind was received
    latest_period: str | None  # report date, survey year, registry version; DHIS2: max span key


@dataclass(frozen=True)
class OpsStatus:
    """The warehouse's state on ``today``, as :func:`collect_status` read it.

    ``exists``/``busy`` say whether it could be read at all; ``sources`` holds one
    :class:`SourceLoad` per kind of :data:`SOURCES`; ``last_report_date`` is the newest RSSB
    report date not superseded (``landing.rssb_weekly``); ``pending_emails`` counts
    ``ops.email_deliveries`` rows still pending (None: the table does not exist);
    ``quarantined`` and ``crashed`` count ledger files by status; ``problems`` holds one line
    per thing that needs a person (empty: healthy).
    """

    warehouse: Path
    today: dt.date
    exists: bool = True
    busy: bool = False
    sources: tuple[SourceLoad, ...] = ()
    last_report_date: dt.date | None = None
    last_load_at: dt.datetime | None = None
    pending_emails: int | None = None  # None: no email was ever recorded
    quarantined: int = 0
    crashed: int = 0
    problems: tuple[str, ...] = field(default=())
    #: RSSB weeks whose deadline passed with no accepted file (tpn_metrics.lateness).
    late_weeks: tuple[lateness.WeekLateness, ...] = ()
    deadline: lateness.FileDeadline = field(default_factory=lateness.FileDeadline)

    @property
    def days_since_report(self) -> int | None:
        """Whole days from the latest RSSB report date to ``today`` (None: no report)."""
        if self.last_report_date is None:
            return None
        return (self.today - self.last_report_date).days

    @property
    def days_since_load(self) -> int | None:
        """Whole days from the latest load's UTC date to ``today`` (None: nothing loaded)."""
        if self.last_load_at is None:
            return None
        return (self.today - self.last_load_at.date()).days

    @property
    def healthy(self) -> bool:
        """True when no problem needs a person."""
        return not self.problems


def _problems(status: OpsStatus) -> tuple[str, ...]:
    found = []
    if not status.exists:
        return (f"no warehouse at {status.warehouse}: run `tpn demo` or the weekly flow",)
    if status.busy:
        return ("the warehouse is busy (a run is writing): try again in a few minutes",)
    if status.last_report_date is None:
        found.append("no RSSB report loaded yet")
    elif status.late_weeks:
        found.append(
            f"RSSB file late for {len(status.late_weeks)} week(s) (deadline "
            f"{status.deadline.describe()}), latest {status.late_weeks[-1].report_date}: "
            "check the drop folder, `tpn quarantine` and the weekly run"
        )
    if status.quarantined:
        found.append(f"{status.quarantined} file(s) in quarantine: see `tpn quarantine`")
    if status.crashed:
        found.append(f"{status.crashed} file(s) crashed in validation: retried on the next run")
    if status.pending_emails:
        found.append(
            f"{status.pending_emails} district email(s) pending: `tpn emails send` retries them"
        )
    return tuple(found)


def collect_status(
    settings: Settings,
    *,
    today: dt.date | None = None,
    now: dt.datetime | None = None,
    deadline: lateness.FileDeadline | None = None,
    wait_seconds: float = 5.0,
) -> OpsStatus:
    """The warehouse's state for operators; never raises for a missing or busy warehouse.

    Late RSSB weeks are judged at ``now`` (UTC; default: the end of ``today`` when it is
    given, else the current time) against ``deadline`` (default: TPN_RSSB_DEADLINE).
    """
    if now is None:
        now = (
            dt.datetime.combine(today, dt.time.max, tzinfo=dt.UTC)
            if today
            else dt.datetime.now(dt.UTC)
        )
    today = today or now.date()
    deadline = deadline or lateness.FileDeadline.from_settings(settings)
    path = settings.warehouse_path
    if not path.exists():
        status = OpsStatus(path, today, exists=False)
        return _with_problems(status)
    try:
        con = connect(path, read_only=True, wait_seconds=wait_seconds)
    except WarehouseBusyError:
        return _with_problems(OpsStatus(path, today, busy=True))
    try:
        status = _read(con, path, today)
        if table_exists(con, "landing", "file_ledger"):
            late = lateness.missing_weeks(lateness.received_reports(con), now, deadline)
            status = replace(status, late_weeks=tuple(late), deadline=deadline)
    finally:
        con.close()
    return _with_problems(status)


def _with_problems(status: OpsStatus) -> OpsStatus:
    return replace(status, problems=_problems(status))


def _read(con: duckdb.DuckDBPyConnection, path: Path, today: dt.date) -> OpsStatus:
    if not table_exists(con, "landing", "file_ledger"):
        return OpsStatus(path, today, sources=tuple(SourceLoad(k, 0, None, None) for k in SOURCES))
    rows = con.execute(
        """
        select kind,
            count(*) filter (where status in ('loaded', 'superseded')),
            max(received_at) filter (where status in ('loaded', 'superseded')),
            max(period_key) filter (where status = 'loaded')
        from landing.file_ledger
        group by kind
        """
    ).fetchall()
    by_kind = {kind: SourceLoad(FileKind(kind), int(n), at, period) for kind, n, at, period in rows}
    sources = tuple(by_kind.get(kind, SourceLoad(kind, 0, None, None)) for kind in SOURCES)
    refused = dict(
        con.execute(
            "select status, count(*) from landing.file_ledger "
            "where status in ('quarantined', 'crashed') group by status"
        ).fetchall()
    )
    last_report = None
    if table_exists(con, "landing", "rssb_weekly"):
        row = con.execute(
            "select max(report_date) from landing.rssb_weekly where not is_superseded"
        ).fetchone()
        last_report = row[0] if row else None
    pending = None
    if table_exists(con, "ops", "email_deliveries"):
        row = con.execute(
            "select count(*) from ops.email_deliveries where status = 'pending'"
        ).fetchone()
        pending = int(row[0]) if row else 0
    loads = [s.last_loaded_at for s in sources if s.last_loaded_at is not None]
    return OpsStatus(
        warehouse=path,
        today=today,
        sources=sources,
        last_report_date=last_report,
        last_load_at=max(loads) if loads else None,
        pending_emails=pending,
        quarantined=int(refused.get(FileStatus.QUARANTINED, 0)),
        crashed=int(refused.get(FileStatus.CRASHED, 0)),
    )


def _ago(days: int | None) -> str:
    if days is None:
        return "never"
    if days < 0:
        return "in the future (check the clock)"
    return "today" if days == 0 else f"{days} day{'s' if days != 1 else ''} ago"


def _late_summary(weeks: tuple[lateness.WeekLateness, ...]) -> str:
    """``none``, or the count and the latest three report dates."""
    if not weeks:
        return "none"
    latest = ", ".join(str(w.report_date) for w in weeks[-3:])
    return f"{len(weeks)}: {'… ' if len(weeks) > 3 else ''}{latest}"


def render_status(status: OpsStatus) -> Group:
    """Rich renderables for ``console.print``: sources, freshness, then what needs a person."""
    parts: list[Table | Text] = []
    if status.exists and not status.busy:
        sources = Table(title=f"TPN warehouse {status.warehouse}")
        for column in ("source", "files loaded", "last load (UTC)", "current period"):
            sources.add_column(column)
        for source in status.sources:
            sources.add_row(
                source.kind,
                str(source.files_loaded),
                source.last_loaded_at.strftime("%Y-%m-%d %H:%M")
                if source.last_loaded_at
                else "never",
                source.latest_period or "",
            )
        parts.append(sources)
        fresh = Table(title=f"Freshness on {status.today}", show_header=False)
        fresh.add_column("what")
        fresh.add_column("value", justify="right")
        fresh.add_row(
            "latest RSSB report", f"{status.last_report_date} ({_ago(status.days_since_report)})"
        )
        fresh.add_row(
            f"RSSB weeks late (deadline {status.deadline.describe()})",
            _late_summary(status.late_weeks),
        )
        fresh.add_row("latest load", _ago(status.days_since_load))
        fresh.add_row(
            "emails pending",
            "none recorded" if status.pending_emails is None else str(status.pending_emails),
        )
        fresh.add_row("files in quarantine", str(status.quarantined))
        fresh.add_row("files crashed in validation", str(status.crashed))
        parts.append(fresh)
    if status.problems:
        parts += [Text(f"! {problem}", style="red") for problem in status.problems]
    else:
        parts.append(Text("all well", style="green"))
    return Group(*parts)
