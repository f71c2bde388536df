"""Parse the text of one cell into a typed value, or say exactly what is wrong with it."""

from __future__ import annotations

import datetime as dt
import math
import re

_GROUPED_THOUSANDS = re.compile(r"^\d{1,3}([,' ]\d{3})+$")
_BLANKS = {"", "-", "n/a", "na", "null", "none"}


class CellError(ValueError):
    """One cell's problem; the caller adds where it is."""


def is_blank(text: str) -> bool:
    return text.strip().lower() in _BLANKS


def parse_date(text: str) -> dt.date:
    """ISO `2023-03-24` or day-first `24/03/2023` (also with `.` or `-`), as RSSB writes them."""
    raw = text.strip()
    if "T" in raw or " " in raw:
        raw = raw.replace("T", " ").split(" ")[0]
    for pattern in ("%Y-%m-%d", "%d/%m/%Y", "%d.%m.%Y", "%d-%m-%Y", "%Y/%m/%d"):
        try:
            return dt.datetime.strptime(raw, pattern).date()
        except ValueError:
            continue
    raise CellError(f"'{text}' is not a date (use 2023-03-24 or 24/03/2023)")


def parse_count(text: str) -> int:
    """A whole number of people, households or francs; thousands separators allowed."""
    raw = text.strip().replace("\u202f", " ").replace("\xa0", " ")
    if _GROUPED_THOUSANDS.match(raw):
        raw = re.sub(r"[,' ]", "", raw)
    raw = raw.replace(" ", "")
    if re.fullmatch(r"[+-]?\d+", raw):
        return int(raw)
    if re.fullmatch(r"[+-]?\d+\.0+", raw):
        return int(float(raw))
    if re.fullmatch(r"[+-]?\d*[.,]\d+", raw):
        raise CellError(f"'{text}' has decimals, but counts must be whole numbers")
    raise CellError(f"'{text}' is not a whole number")


def parse_number(text: str) -> float:
    """A score or a rate; accepts a decimal comma and a trailing `%`."""
    raw = text.strip().rstrip("%").strip().replace(" ", "")
    if raw.count(",") == 1 and "." not in raw:
        raw = raw.replace(",", ".")
    try:
        value = float(raw)
    except ValueError:
        raise CellError(f"'{text}' is not a number") from None
    if not math.isfinite(value):
        raise CellError(f"'{text}' is not a finite number")
    return value


def parse_bool(text: str) -> bool:
    raw = text.strip().lower()
    if raw in {"true", "yes", "y", "1", "oui", "yego"}:
        return True
    if raw in {"false", "no", "n", "0", "non", "oya"}:
        return False
    raise CellError(f"'{text}' is not true/false")


def fiscal_year_of(day: dt.date) -> str:
    """Rwanda's fiscal year runs 1 July – 30 June: 2023-03-24 is in FY 2022/23."""
    start = day.year if day.month >= 7 else day.year - 1
    return f"{start}/{(start + 1) % 100:02d}"
