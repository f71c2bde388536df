"""The late-file alert: one message to the data team per RSSB week that missed its deadline
(tpn_metrics.lateness), never twice for the same week.

Each check reads the ledger, finds the weeks now missing that were not alerted yet, sends one
message naming them through the data-team path (SMTP, else outbox/alerts/), and records
them in ``ops.late_file_alerts`` (report_date, due_at, alerted_at, delivered). A week whose
file arrives after its alert is not alerted again.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import duckdb

from tpn_metrics import lateness
from tpn_metrics.emails.data_team import data_team_message, deliver_to_data_team
from tpn_metrics.settings import Settings
from tpn_metrics.warehouse import open_warehouse, table_exists, transaction

ALERTS_DDL = """
create schema if not exists ops;
create table if not exists ops.late_file_alerts (
    report_date date primary key,
    due_at timestamp not null,
    alerted_at timestamp not null,
    delivered varchar not null
)
"""


@dataclass(frozen=True)
class LateAlertReport:
    """What one check found (weeks late now) and did (weeks alerted, where the message went)."""

    missing: tuple[lateness.WeekLateness, ...]  # every week late now
    alerted: tuple[lateness.WeekLateness, ...]  # those alerted by this check
    delivered: str | None  # where the message went; None when nothing was sent


def alert_text(weeks: tuple[lateness.WeekLateness, ...], deadline: lateness.FileDeadline) -> str:
    """The alert's plain text: the missing weeks (the latest 60 at most) and what to do."""
    lines = [
        f"RSSB's weekly CBHI file has not arrived for {len(weeks)} week(s): no accepted file "
        f"with these report dates was received by its deadline ({deadline.describe()}).",
        "",
    ]
    if len(weeks) > 60:
        lines.append(f"  ... {len(weeks) - 60} earlier weeks, then:")
    lines += [f"  {w.report_date} (Friday), due {w.due_at:%Y-%m-%d %H:%M} UTC" for w in weeks[-60:]]
    lines += [
        "",
        "What to do: ask RSSB for the file, drop it in TPN_DROP_FOLDER and run",
        "  prefect deployment run weekly-cbhi/weekly-cbhi",
        "A refused file does not count as received: see `tpn quarantine`.",
        "This alert is sent once per missing week.",
    ]
    return "\n".join(lines) + "\n"


def check_late_files(
    settings: Settings,
    *,
    now: dt.datetime | None = None,
    deadline: lateness.FileDeadline | None = None,
) -> LateAlertReport:
    """Alert the data team about weeks newly missing at ``now`` (UTC, default: now)."""
    now = now or dt.datetime.now(dt.UTC)
    deadline = deadline or lateness.FileDeadline.from_settings(settings)
    if not settings.warehouse_path.exists():  # a fresh setup: nothing expected yet
        return LateAlertReport((), (), None)
    with open_warehouse(settings.warehouse_path) as con:
        con.execute(ALERTS_DDL)
        received = _received(con)
        missing = tuple(lateness.missing_weeks(received, now, deadline))
        alerted = con.execute("select report_date from ops.late_file_alerts").fetchall()
        done = {row[0] for row in alerted}
        new = tuple(week for week in missing if week.report_date not in done)
        if not new:
            return LateAlertReport(missing, (), None)
        subject = (
            f"TPN: RSSB file late for {new[-1].report_date}"
            if len(new) == 1
            else f"TPN: RSSB files late for {len(new)} weeks (latest {new[-1].report_date})"
        )
        message = data_team_message(
            subject, alert_text(new, deadline), settings, kind="tpn-late-file"
        )
        where = deliver_to_data_team(
            message, settings, folder="alerts", name=f"rssb-late-{new[-1].report_date}"
        )
        stamp = now.astimezone(dt.UTC).replace(tzinfo=None)
        with transaction(con):
            con.executemany(
                "insert into ops.late_file_alerts values (?, ?, ?, ?)",
                [(w.report_date, w.due_at.replace(tzinfo=None), stamp, where) for w in new],
            )
    return LateAlertReport(missing, new, where)


def _received(con: duckdb.DuckDBPyConnection) -> dict[dt.date, dt.datetime]:
    if not table_exists(con, "landing", "file_ledger"):
        return {}
    return lateness.received_reports(con)
