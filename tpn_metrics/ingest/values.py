"""Parse the text of one cell into a typed value, or say exactly what is wrong with it."""

from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata

_GROUPED_THOUSANDS = re.compile(r"^\d{1,3}([,' ]\d{3})+$")
_DOT_THOUSANDS = re.compile(r"^\d{1,3}(\.\d{3}){2,}$")  # 1.204.311: never a decimal
_BLANKS = {"", "-", "n/a", "na", "null", "none"}


class CellError(ValueError):
    """One cell's problem; the caller adds where it is."""


def is_blank(text: str) -> bool:
    """Whether a cell holds nothing, or a placeholder for nothing ("-", "n/a", "null", "none")."""
    return text.strip().lower() in _BLANKS


_MONTHS = {
    **dict.fromkeys(("jan", "january", "janv", "janvier"), 1),
    **dict.fromkeys(("feb", "february", "fev", "fevr", "fevrier"), 2),
    **dict.fromkeys(("mar", "march", "mars"), 3),
    **dict.fromkeys(("apr", "april", "avr", "avril"), 4),
    **dict.fromkeys(("may", "mai"), 5),
    **dict.fromkeys(("jun", "june", "juin"), 6),
    **dict.fromkeys(("jul", "july", "juil", "juillet"), 7),
    **dict.fromkeys(("aug", "august", "aou", "aout"), 8),
    **dict.fromkeys(("sep", "sept", "september", "septembre"), 9),
    **dict.fromkeys(("oct", "october", "octobre"), 10),
    **dict.fromkeys(("nov", "november", "novembre"), 11),
    **dict.fromkeys(("dec", "december", "decembre"), 12),
}
_WEEKDAY = re.compile(
    r"^(mon|tue|tues|wed|thu|thur|thurs|fri|sat|sun)[a-z]*\s+|"
    r"^(lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche)\s+"
)
_TIME = re.compile(
    r"[ T]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?\s*(am|pm)?\s*(z|utc|[+-]\d{2}:?\d{2})?$", re.IGNORECASE
)
_LEADING_WEEKDAY = re.compile(
    r"^(mon|tue|tues|wed|thu|thur|thurs|fri|sat|sun)[a-z]*[.,]?\s+|"
    r"^(lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche)[,]?\s+",
    re.IGNORECASE,
)
_ORDINAL = re.compile(r"\b(\d{1,2})(st|nd|rd|th|er)\b", re.IGNORECASE)
_SERIAL = re.compile(r"^\d{5}(\.\d+)?$")
_NUMERIC_DMY = re.compile(r"^(\d{1,2})([/.-])(\d{1,2})\2(\d{4}|\d{2})$")
_DATE_HELP = "use 2023-03-24, 24/03/2023 or 24-Mar-2023"


def _year(text: str) -> int:
    return int(text) + 2000 if len(text) == 2 else int(text)


def _month_name_date(raw: str) -> dt.date | None:
    """``24-Mar-2023``, ``24 March 2023``, ``March 24, 2023``, ``Friday 24 mars 2023``."""
    key = re.sub(r"[^a-z0-9]+", " ", fold_accents(raw).lower()).strip()
    key = _WEEKDAY.sub("", key)
    parts = [part for part in key.split() if part not in ("of", "de")]  # 24th of March
    if len(parts) != 3:
        return None
    try:
        if parts[1] in _MONTHS and parts[0].isdigit() and parts[2].isdigit():  # 24 mar 2023
            return dt.date(_year(parts[2]), _MONTHS[parts[1]], int(parts[0]))
        if parts[0] in _MONTHS and parts[1].isdigit() and len(parts[2]) == 4:  # mar 24 2023
            return dt.date(int(parts[2]), _MONTHS[parts[0]], int(parts[1]))
        if len(parts[0]) == 4 and parts[1] in _MONTHS and parts[2].isdigit():  # 2023 mar 24
            return dt.date(int(parts[0]), _MONTHS[parts[1]], int(parts[2]))
    except ValueError:
        raise CellError(f"'{raw}' is not a real date") from None
    return None


def fold_accents(text: str) -> str:
    """The text without accents (``Février`` → ``Fevrier``)."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def parse_date(text: str, *, epoch: dt.datetime | None = None) -> dt.date:
    """A date as spreadsheets and people write it.

    ISO ``2023-03-24`` (a time after it is ignored), day-first ``24/03/2023`` (also with ``.``
    or ``-``, or a two-digit year), month names in English or French (``24-Mar-2023``,
    ``24 March 2023``, ``March 24, 2023``). In an XLSX (``epoch`` given: the workbook's 1900 or
    1904 date system) a plain number is a date whose format was lost: ``45009`` is 2023-03-24
    in the 1900 system. ``dd/mm`` is always read day-first here: see ``date_readings`` for the
    other reading.
    """
    raw = _TIME.sub("", text.strip()).strip()
    raw = _ORDINAL.sub(r"\1", _LEADING_WEEKDAY.sub("", raw)).strip()
    if _SERIAL.match(raw):
        if epoch is None:
            raise CellError(
                f"'{text}' looks like a spreadsheet date serial number, not a date "
                f"({_DATE_HELP}): format the column as a date before saving"
            )
        from openpyxl.utils.datetime import from_excel

        return from_excel(float(raw), epoch).date()  # type: ignore[no-any-return]
    if re.fullmatch(r"(19|20)\d{6}", raw):  # 20230324, as databases export dates
        try:
            return dt.datetime.strptime(raw, "%Y%m%d").date()
        except ValueError:
            raise CellError(f"'{text}' is not a real date") from None
    for pattern in ("%Y-%m-%d", "%d/%m/%Y", "%d.%m.%Y", "%d-%m-%Y", "%Y/%m/%d", "%Y.%m.%d"):
        try:
            return dt.datetime.strptime(raw, pattern).date()
        except ValueError:
            continue
    numeric = _NUMERIC_DMY.match(raw)
    if numeric and len(numeric.group(4)) == 2:
        try:
            return dt.date(_year(numeric.group(4)), int(numeric.group(3)), int(numeric.group(1)))
        except ValueError:
            pass
    named = _month_name_date(raw) if raw else None
    if named is not None:
        return named
    raise CellError(f"'{text}' is not a date ({_DATE_HELP})")


def month_first_reading(text: str) -> dt.date | None:
    """The other reading of a numeric ``04/07/2023``: month first (7 April), if it is a date
    and differs from the day-first one; None for ISO, month names, or ``24/03/2023``."""
    match = _NUMERIC_DMY.match(_LEADING_WEEKDAY.sub("", _TIME.sub("", text.strip()).strip()))
    if not match or match.group(1) == match.group(3):
        return None
    try:
        return dt.date(_year(match.group(4)), int(match.group(1)), int(match.group(3)))
    except ValueError:
        return None


def parse_count(text: str, *, decimal_comma: bool = False) -> int:
    """A whole number of people, households or francs; thousands separators allowed.

    ``1,204,311``, ``1 204 311``, ``1'204'311`` and ``1.204.311`` are all 1204311; a single
    ``.`` group (``1.204``) is a thousands separator only where decimals are written with a
    comma (``decimal_comma``: a ``;``-separated CSV, as European-locale Excel saves it).
    """
    raw = text.strip().replace("\u202f", " ").replace("\xa0", " ")
    if _GROUPED_THOUSANDS.match(raw):
        raw = re.sub(r"[,' ]", "", raw)
    if _DOT_THOUSANDS.match(raw):
        raw = raw.replace(".", "")
    if decimal_comma and re.fullmatch(r"\d{1,3}(\.\d{3})+", raw):
        raw = raw.replace(".", "")
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
    raw = text.strip().rstrip("%").strip().replace(" ", "").replace("\xa0", "")
    if raw.count(",") == 1 and "." not in raw:
        raw = raw.replace(",", ".")
    elif "," in raw and "." in raw:  # 1.204,5 or 1,204.5: the last separator is the decimal
        decimal = "," if raw.rfind(",") > raw.rfind(".") else "."
        raw = raw.replace("." if decimal == "," else ",", "").replace(",", ".")
    try:
        value = float(raw)
    except ValueError:
        raise CellError(f"'{text}' is not a number") from None
    if not math.isfinite(value):
        raise CellError(f"'{text}' is not a finite number")
    return value


def parse_bool(text: str) -> bool:
    """A yes/no cell (true/false, yes/no, 1/0, oui/non, yego/oya); CellError otherwise."""
    raw = text.strip().lower()
    if raw in {"true", "yes", "y", "1", "oui", "yego"}:
        return True
    if raw in {"false", "no", "n", "0", "non", "oya"}:
        return False
    raise CellError(f"'{text}' is not true/false")
