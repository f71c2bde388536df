"""When is RSSB's weekly file late? The one definition; everything that speaks of lateness
reads it (the late-file alert, `tpn status`, and the data-quality reviews built on it).

RSSB issues a CBHI enrolment update every Friday (its *report date*). The week of Friday F is
**late** when no accepted file (ledger status ``loaded`` or ``superseded``) with report date
F had been received by the deadline of F: by default the Saturday after F at 12:00
Africa/Kigali (10:00 UTC), configurable with ``TPN_RSSB_DEADLINE`` ("Saturday 12:00",
"Friday 23:00", "Monday 09:30": a weekday on or after the Friday and a time in Kigali).

A refused (quarantined or crashed) file does not count as received: the week still has no
data. Expected weeks run from the first Friday with an accepted file to the last Friday whose
deadline has passed; weeks before the first file are not expected.

dbt's source freshness (warn/error by the age of ``loaded_at``) cannot express a deadline per
Friday, so the RSSB source has no freshness block: this module replaces it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal
from zoneinfo import ZoneInfo

import duckdb

from tpn_metrics.settings import ConfigurationError, Settings

KIGALI = "Africa/Kigali"
FRIDAY = 4
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
DEADLINE_VARIABLE = "TPN_RSSB_DEADLINE"
DEFAULT_DEADLINE = "Saturday 12:00"

WeekStatus = Literal["on_time", "late_arrived", "missing", "not_due"]
"""on_time: a file by the deadline; late_arrived: after it; missing: deadline passed, no file
yet (what the alert and `tpn status` report); not_due: deadline still ahead."""


@dataclass(frozen=True)
class FileDeadline:
    """A weekday on or after the report Friday (0 = Monday … 6 = Sunday) and a local time."""

    weekday: int = 5
    time: dt.time = dt.time(12, 0)
    timezone: str = KIGALI

    @classmethod
    def parse(cls, text: str) -> FileDeadline:
        """``"Saturday 12:00"`` → FileDeadline(5, 12:00); ConfigurationError when unreadable."""
        day, _, clock = text.strip().lower().partition(" ")
        try:
            weekday = WEEKDAYS.index(day)
            time = dt.time.fromisoformat(clock.strip())
        except ValueError:
            raise ConfigurationError(
                f"{DEADLINE_VARIABLE}={text!r} is not a weekday and a time, e.g. "
                f"{DEFAULT_DEADLINE!r}"
            ) from None
        return cls(weekday, time)

    @classmethod
    def from_settings(cls, settings: Settings) -> FileDeadline:
        """The deadline TPN_RSSB_DEADLINE names (``settings.rssb_deadline``), else the default.

        Raises ConfigurationError when it is not a weekday and a time.
        """
        return cls.parse(settings.rssb_deadline or DEFAULT_DEADLINE)

    def due_at(self, report_date: dt.date) -> dt.datetime:
        """The deadline of the week reported on ``report_date``, as an aware UTC datetime."""
        days = (self.weekday - FRIDAY) % 7
        local = dt.datetime.combine(
            report_date + dt.timedelta(days=days), self.time, tzinfo=ZoneInfo(self.timezone)
        )
        return local.astimezone(dt.UTC)

    def describe(self) -> str:
        """The deadline for people: ``"Saturday 12:00 Africa/Kigali"``."""
        return f"{WEEKDAYS[self.weekday].capitalize()} {self.time:%H:%M} {self.timezone}"


@dataclass(frozen=True)
class WeekLateness:
    """One RSSB week: its deadline, when its first accepted file came, and its status."""

    report_date: dt.date
    due_at: dt.datetime  # UTC
    received_at: dt.datetime | None  # UTC, the first accepted file for the week
    status: WeekStatus


def week_status(
    report_date: dt.date, received_at: dt.datetime | None, now: dt.datetime, deadline: FileDeadline
) -> WeekLateness:
    """The lateness of one week; ``received_at`` and ``now`` are UTC (naive means UTC)."""
    due = deadline.due_at(report_date)
    now = _utc(now)
    received = _utc(received_at) if received_at is not None else None
    status: WeekStatus
    if received is not None:
        status = "on_time" if received <= due else "late_arrived"
    else:
        status = "missing" if now > due else "not_due"
    return WeekLateness(report_date, due, received, status)


def expected_fridays(first: dt.date, now: dt.datetime, deadline: FileDeadline) -> list[dt.date]:
    """Every Friday from ``first`` (moved to its Friday) whose deadline is before ``now``."""
    friday = first + dt.timedelta(days=(FRIDAY - first.weekday()) % 7)
    fridays = []
    while deadline.due_at(friday) < _utc(now):
        fridays.append(friday)
        friday += dt.timedelta(days=7)
    return fridays


def weeks(
    received: Mapping[dt.date, dt.datetime], now: dt.datetime, deadline: FileDeadline
) -> list[WeekLateness]:
    """The status of every expected week, given each report date's first accepted receipt."""
    if not received:
        return []
    return [
        week_status(friday, received.get(friday), now, deadline)
        for friday in expected_fridays(min(received), now, deadline)
    ]


def missing_weeks(
    received: Mapping[dt.date, dt.datetime], now: dt.datetime, deadline: FileDeadline
) -> list[WeekLateness]:
    """Weeks whose deadline passed with no accepted file: what is late *now*."""
    return [week for week in weeks(received, now, deadline) if week.status == "missing"]


def received_reports(con: duckdb.DuckDBPyConnection) -> dict[dt.date, dt.datetime]:
    """report date → first receipt (UTC) of an accepted RSSB file, from landing.file_ledger."""
    rows = con.execute(
        """
        select cast(period_key as date), min(received_at)
        from landing.file_ledger
        where kind = 'rssb_weekly' and status in ('loaded', 'superseded')
            and period_key is not null
        group by all
        """
    ).fetchall()
    return dict(rows)


def _utc(moment: dt.datetime) -> dt.datetime:
    return moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment.astimezone(dt.UTC)


def describe_missing(missing: Iterable[WeekLateness]) -> str:
    """One line: ``2023-04-07 (due 2023-04-08 10:00 UTC), ...``."""
    return ", ".join(f"{w.report_date} (due {w.due_at:%Y-%m-%d %H:%M} UTC)" for w in missing)
