"""Settle an RSSB file's report date when ``dd/mm`` and ``mm/dd`` disagree.

The contract reads ``04/07/2023`` day-first (4 July 2023). But an RSSB report is dated on a
Friday, and senders whose Excel uses month-first dates write 7 April 2023 the same way. The
rule, per file (every row carries the date):

1. the day-first reading is a Friday → it stands;
2. otherwise, if the month-first reading is a Friday → the month-first reading is taken, with a
   warning naming both readings (the sender meant the Friday; nothing is stored silently);
3. otherwise, if the two readings fall in different fiscal years → refused naming both (a
   report is never stored silently in another fiscal year);
4. otherwise (no other reading, or one in the same fiscal year) → the day-first reading, with a
   warning that it is not a Friday.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from tpn_metrics.calendar import fiscal_year_label_of

FRIDAY = 4


@dataclass(frozen=True)
class DateReading:
    """A report_date cell as written, and the dates it can be read as."""

    text: str
    day_first: dt.date | None  # None: not a date day-first (03/24/2023), only month-first
    month_first: dt.date | None  # the other reading of a numeric date, when there is one


def _named(day: dt.date) -> str:
    return f"{day:%A} {day.isoformat()}"


def settle(readings: list[DateReading]) -> tuple[dict[str, dt.date], list[str], list[str]]:
    """({text as written: date}, problems, warnings) for the report dates of one file."""
    chosen: dict[str, dt.date] = {}
    problems: list[str] = []
    warnings: list[str] = []
    for reading in {r.text: r for r in readings}.values():
        day, other = reading.day_first, reading.month_first
        if day is None:
            # Only the month-first reading is a date: a sender whose Excel writes mm/dd/yyyy.
            assert other is not None
            chosen[reading.text] = other
            warnings.append(
                f"report_date '{reading.text}' read month-first as {_named(other)} (it is not "
                f"a date day-first): write {other.isoformat()} to avoid the doubt"
            )
            if other.weekday() != FRIDAY:
                warnings.append(
                    f"report_date {other.isoformat()} is a {other:%A}, not a Friday: check the date"
                )
            continue
        if day.weekday() == FRIDAY:
            chosen[reading.text] = day
        elif other is not None and other.weekday() == FRIDAY:
            chosen[reading.text] = other
            warnings.append(
                f"report_date '{reading.text}' read month-first as {_named(other)}: "
                f"read day-first it would be {_named(day)}, and RSSB reports are dated on "
                f"Fridays (write {other.isoformat()} to avoid the doubt)"
            )
        elif other is not None and fiscal_year_label_of(other) != fiscal_year_label_of(day):
            problems.append(
                f"report_date '{reading.text}' is ambiguous: day-first it is {_named(day)} "
                f"(fiscal year {fiscal_year_label_of(day)}), month-first {_named(other)} (fiscal "
                f"year {fiscal_year_label_of(other)}), and neither is a Friday: write it as "
                "YYYY-MM-DD"
            )
        else:
            chosen[reading.text] = day
            warnings.append(
                f"report_date {day.isoformat()} is a {day:%A}, not a Friday: check the date"
            )
    return chosen, problems, warnings
