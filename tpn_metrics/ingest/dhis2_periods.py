"""DHIS2 ISO period identifiers (``202303``, ``2023Q1``, ``2022July``...) to exact dates.

Sources: DHIS2 developer docs, ``src/developer/web-api/overview.md`` § "Date and period
format" (table "Period format"), and dhis2-core ``org.hisp.dhis.period.*PeriodType`` (the
period type names of ``PeriodTypeEnum`` and each type's ``getIsoDate``). Notably:

- ``Weekly`` is ISO 8601: week 1 is the week (Monday to Sunday) holding the year's first
  Thursday, so ``2021W1`` starts on Monday 4 January 2021 and 2020 has a ``2020W53``.
- Financial years are named after the calendar year they start in (``2022July`` is
  1 July 2022 to 30 June 2023, Rwanda's fiscal year 2022/23), except ``FinancialNov``, which
  dhis2-core names after the year it *ends* in (``2023Nov`` is 1 Nov 2022 to 31 Oct 2023).

Periods of other types (weeks starting on other days, bi-weeks, ``QuarterlyNov``,
``SixMonthlyNov``, ``TwoYearly``) are not read: they raise :class:`PeriodError` like a
malformed id.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass

# Valid ids shown to a sender whose period did not parse.
VALID_EXAMPLES = "202303 (Monthly), 2023Q1 (Quarterly), 2023 (Yearly), 2022July (FinancialJuly)"

# Financial years: DHIS2 suffix -> (period type name, first month, years to add to the id's year
# to get the start year).
_FINANCIAL = {
    "Feb": ("FinancialFeb", 2, 0),
    "April": ("FinancialApril", 4, 0),
    "July": ("FinancialJuly", 7, 0),
    "Aug": ("FinancialAug", 8, 0),
    "Sep": ("FinancialSep", 9, 0),
    "Oct": ("FinancialOct", 10, 0),
    "Nov": ("FinancialNov", 11, -1),  # dhis2-core: getIsoDate = start year + 1
}

_PATTERNS = (
    ("Daily", re.compile(r"^(?P<y>\d{4})(?P<m>\d{2})(?P<d>\d{2})$", re.ASCII)),
    ("Weekly", re.compile(r"^(?P<y>\d{4})W(?P<n>\d{1,2})$", re.ASCII)),
    ("BiMonthly", re.compile(r"^(?P<y>\d{4})(?P<n>\d{2})B$", re.ASCII)),
    ("Monthly", re.compile(r"^(?P<y>\d{4})(?P<m>\d{2})$", re.ASCII)),
    ("Quarterly", re.compile(r"^(?P<y>\d{4})Q(?P<n>\d)$", re.ASCII)),
    ("SixMonthly", re.compile(r"^(?P<y>\d{4})S(?P<n>\d)$", re.ASCII)),
    ("SixMonthlyApril", re.compile(r"^(?P<y>\d{4})AprilS(?P<n>\d)$", re.ASCII)),
    ("Yearly", re.compile(r"^(?P<y>\d{4})$", re.ASCII)),
    ("Financial", re.compile(r"^(?P<y>\d{4})(?P<f>" + "|".join(_FINANCIAL) + r")$", re.ASCII)),
)


class PeriodError(ValueError):
    """A period id that is not a DHIS2 period of a type read here (or names no real period)."""


@dataclass(frozen=True)
class Period:
    """One DHIS2 period: its id as written, DHIS2's period type name, first and last day."""

    period_id: str
    period_type: str
    start: dt.date
    end: dt.date


def _month_end(year: int, month: int) -> dt.date:
    return dt.date(year, month, calendar.monthrange(year, month)[1])


def _months(year: int, first_month: int, count: int) -> tuple[dt.date, dt.date]:
    """First day of ``first_month`` of ``year`` and last day ``count`` months on (may wrap)."""
    last = first_month + count - 1
    end_year, end_month = year + (last - 1) // 12, (last - 1) % 12 + 1
    return dt.date(year, first_month, 1), _month_end(end_year, end_month)


def _numbered(text: str, kind: str, n: int, top: int) -> int:
    if not 1 <= n <= top:
        raise PeriodError(f"'{text}' names {kind} {n}; a year has {kind}s 1–{top}")
    return n


# Month-based period types: (name of the numbered part, parts a year has, months per part,
# first month of part 1).
_MONTH_PARTS = {
    "Monthly": ("month", 12, 1, 1),
    "BiMonthly": ("bi-month", 6, 2, 1),
    "Quarterly": ("quarter", 4, 3, 1),
    "SixMonthly": ("half-year", 2, 6, 1),
    "SixMonthlyApril": ("half-year", 2, 6, 4),
}


def _build(text: str, kind: str, g: dict[str, str]) -> Period:
    year = int(g["y"])
    if year < 1900:
        raise PeriodError(f"'{text}' has year {year}")
    if kind == "Daily":
        try:
            start = end = dt.date(year, int(g["m"]), int(g["d"]))
        except ValueError as error:
            raise PeriodError(f"'{text}' is not a real day ({error})") from error
    elif kind == "Weekly":
        weeks = dt.date(year, 12, 28).isocalendar().week  # 28 Dec is always in the last week
        n = _numbered(text, "week", int(g["n"]), weeks)
        start = dt.date.fromisocalendar(year, n, 1)
        end = start + dt.timedelta(days=6)
    elif kind in _MONTH_PARTS:
        part, top, size, first = _MONTH_PARTS[kind]
        n = _numbered(text, part, int(g.get("n") or g["m"]), top)
        month = first + size * (n - 1)  # may pass December (SixMonthlyApril S2)
        start, end = _months(year + (month - 1) // 12, (month - 1) % 12 + 1, size)
    elif kind == "Yearly":
        start, end = dt.date(year, 1, 1), dt.date(year, 12, 31)
    else:
        kind, first_month, shift = _FINANCIAL[g["f"]]
        start, end = _months(year + shift, first_month, 12)
    return Period(text, kind, start, end)


def parse_period(period_id: str) -> Period:
    """The DHIS2 period an ISO period id names, e.g. ``2022July`` →
    ``Period('2022July', 'FinancialJuly', 2022-07-01, 2023-06-30)``.

    Raises PeriodError (saying why) for an id of no type read here or naming no real period
    (``2023-03``, ``202313``, ``2023Q5``, ``2021W53``).
    """
    text = period_id.strip()
    for kind, pattern in _PATTERNS:
        match = pattern.match(text)
        if match:
            return _build(text, kind, match.groupdict())
    raise PeriodError(f"'{period_id}' is not a DHIS2 period id")
