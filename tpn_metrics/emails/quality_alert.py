"""The data-quality alert: one message to the data team per RSSB week whose review flagged a
value (a threshold of docs/data_quality.md broken), never twice for the same week.

After the weekly build, the latest week the data-quality marts hold is reviewed
(:func:`tpn_metrics.quality.review.week_review`, the review the report, the emails and
``tpn dq`` show); when it holds flags and was not alerted yet, one message lists them through
the data-team path (SMTP, else outbox/alerts/) and ``ops.data_quality_alerts`` records it
(report_date, flags, alerted_at, delivered). A week re-issued later is not alerted again: its
flags are in the report and ``tpn dq``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import duckdb

from tpn_metrics.emails.data_team import data_team_message, deliver_to_data_team
from tpn_metrics.emails.quality_line import unusual_value_text
from tpn_metrics.quality.marts import has_quality_marts, report_dates
from tpn_metrics.quality.records import DIMENSION_TITLES, Flag, WeekReview
from tpn_metrics.quality.review import week_review
from tpn_metrics.settings import Settings
from tpn_metrics.warehouse import open_warehouse, transaction

ALERTS_DDL = """
create schema if not exists ops;
create table if not exists ops.data_quality_alerts (
    report_date date primary key,
    flags integer not null,
    alerted_at timestamp not null,
    delivered varchar not null
)
"""


@dataclass(frozen=True)
class QualityAlertReport:
    """What one check found (the week reviewed, its number of flags) and did (where the
    message went; None when nothing was sent: no flags, already alerted, or no review)."""

    report_date: dt.date | None
    flags: int
    delivered: str | None


def alert_text(review: WeekReview, new: tuple[Flag, ...] | None = None) -> str:
    """The alert's plain text: the week's newly flagged values (``new``, default: every flag)
    by district, with the mart's sentence (a value the same in several districts, e.g. a late
    file, once with their names), the count of standing findings, then what to do."""
    new = review.flags if new is None else new
    standing = len(review.flags) - len(new)
    names = {d.district_id: d.district_name for d in review.districts}
    in_file = "–" if review.districts_in_file is None else str(review.districts_in_file)
    lines = [
        f"The data-quality review of RSSB's report of {review.report_date} flagged "
        f"{len(new)} value(s) ({in_file} of {review.expected_districts} districts "
        "in the file):",
        "",
    ]
    # A file-wide finding (a late file) repeats the same figures for every district: one
    # entry naming the districts, not thirty.
    groups: dict[tuple[str, str, str], list[str]] = {}
    for flag in new:
        district = names.get(flag.district_id or "", flag.district_id or "–")
        key = (DIMENSION_TITLES[flag.dimension], unusual_value_text(flag), flag.detail)
        groups.setdefault(key, []).append(district)
    for (dimension, text, detail), districts in groups.items():
        where = districts[0] if len(districts) == 1 else f"{len(districts)} districts"
        lines.append(f"  {where} · {dimension}: {text}")
        if len(districts) > 1:
            lines.append(f"    ({', '.join(districts)})")
        lines.append(f"    {detail}")
    if standing:
        lines += [
            "",
            f"{standing} standing finding(s) flagged the week before too (e.g. a stale RSSB "
            "target) are not repeated here.",
        ]
    lines += [
        "",
        f"See `tpn dq --week {review.report_date}` and the evaluation report's Data quality "
        "section; ask RSSB to confirm or re-issue the figures.",
        "This alert is sent once per week.",
    ]
    return "\n".join(lines) + "\n"


def new_flags(review: WeekReview, previous: WeekReview | None) -> tuple[Flag, ...]:
    """The week's flags whose (district, measure) was not flagged in the previous report:
    a threshold this delivery broke. A standing finding (a stale target flagged every week of
    the year) alerts once, the week it first appears."""
    if previous is None:
        return review.flags
    before = {(f.district_id, f.measure) for f in previous.flags}
    return tuple(f for f in review.flags if (f.district_id, f.measure) not in before)


def _previous_review(
    con: duckdb.DuckDBPyConnection, dates: list[dt.date], day: dt.date
) -> WeekReview | None:
    earlier = [d for d in dates if d < day]
    return week_review(con, earlier[-1]) if earlier else None


def check_data_quality(
    settings: Settings, *, report_date: dt.date | None = None, now: dt.datetime | None = None
) -> QualityAlertReport:
    """Alert the data team about the new flags (:func:`new_flags`) of ``report_date``
    (default: the latest week the data-quality marts hold), once per week. Nothing happens
    without a warehouse or marts. Raises WarehouseBusyError when the warehouse stays locked
    (the task retries)."""
    now = now or dt.datetime.now(dt.UTC)
    if not settings.warehouse_path.exists():
        return QualityAlertReport(None, 0, None)
    with open_warehouse(settings.warehouse_path) as con:
        dates = report_dates(con) if has_quality_marts(con) else []
        day = report_date or (dates[-1] if dates else None)
        if day is None:
            return QualityAlertReport(None, 0, None)
        review = week_review(con, day)
        new = new_flags(review, _previous_review(con, dates, day))
        flags = len(new)
        con.execute(ALERTS_DDL)
        done = con.execute(
            "select count(*) from ops.data_quality_alerts where report_date = ?", [day]
        ).fetchone()
        if not flags or (done and done[0]):
            return QualityAlertReport(day, flags, None)
        subject = f"TPN: data quality of RSSB's report of {day}: {flags} flagged value(s)"
        message = data_team_message(
            subject, alert_text(review, new), settings, kind="tpn-data-quality"
        )
        where = deliver_to_data_team(message, settings, folder="alerts", name=f"rssb-dq-{day}")
        with transaction(con):
            con.execute(
                "insert into ops.data_quality_alerts values (?, ?, ?, ?)",
                [day, flags, now.astimezone(dt.UTC).replace(tzinfo=None), where],
            )
    return QualityAlertReport(day, flags, where)
