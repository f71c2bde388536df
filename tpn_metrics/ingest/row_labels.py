"""Rows that are not data: national totals, province subtotals and footnotes.

The one list of the labels senders put on such rows (English, Kinyarwanda, French). A label is
compared case-, accent- and punctuation-insensitively, so ``Total:``, ``TOTAL`` and ``total``
are one label; words such as ``Province``, ``Intara y'`` or ``Sub-total`` around a province
name do not matter (``Eastern Province Total`` and ``Sub-total: Iburasirazuba`` are both the
Eastern subtotal).
"""

from __future__ import annotations

import re

from tpn_metrics.names import fold

NATIONAL_TOTAL_LABELS = (
    "Total",
    "Totals",
    "Grand total",
    "Total general",
    "Total général",
    "General total",
    "Overall total",
    "Sum",
    "Rwanda",
    "Rwanda total",
    "Total Rwanda",
    "National",
    "National total",
    "Total national",
    "Country total",
    "Total country",
    "All districts",
    "Total all districts",
    "Igiteranyo",
    "Igiteranyo cyose",
    "Igiteranyo rusange",
)

# Summary rows of a table of scores (accreditation): their averages are not a hospital.
AVERAGE_LABELS = (
    "Average",
    "Mean",
    "National average",
    "Average score",
    "Overall average",
    "Moyenne",
    "Moyenne nationale",
    "Impuzandengo",
)

# Province (as in dbt_project/seeds/reference/districts.csv) → the names senders use for it.
PROVINCE_LABELS = {
    "Kigali City": (
        "Kigali City",
        "City of Kigali",
        "Kigali",
        "Umujyi wa Kigali",
        "Ville de Kigali",
        "Mairie de la Ville de Kigali",
    ),
    "Northern": ("Northern", "North", "Amajyaruguru", "Nord"),
    "Southern": ("Southern", "South", "Amajyepfo", "Sud"),
    "Eastern": ("Eastern", "East", "Iburasirazuba", "Est"),
    "Western": ("Western", "West", "Iburengerazuba", "Ouest"),
}

# Words around a province name on a subtotal row; removed before comparing.
_SUBTOTAL_WORDS = (
    "sub total",
    "subtotal",
    "sous total",
    "total",
    "igiteranyo",
    "province de l",
    "province du",
    "province de",
    "province",
    "intara y",
    "intara",
)

# A footnote starts with one of these words followed by ':' (or '.', '-', or nothing more:
# "Notes", "N.B provisional", "Source RSSB MIS"), or with '*'. No district, hospital or
# registry name starts with one of them.
_FOOTNOTE = re.compile(
    r"^\s*(\*|(source|sources|data source|nb|n\.\s?b\.?|nota|nota bene|note|notes|footnote|"
    r"remark|remarks|remarque|disclaimer|inkomoko|icyitonderwa|ibisobanuro|prepared by|"
    r"compiled by|data as at|data as of|as at|as of)(\s*[:.\-–]|\s+|$))",
    re.IGNORECASE,
)


def _key(text: str) -> str:
    return fold(text)


_NATIONAL_KEYS = {_key(label) for label in NATIONAL_TOTAL_LABELS}
_PROVINCE_KEYS = {
    _key(label): province for province, labels in PROVINCE_LABELS.items() for label in labels
}


# A label that starts with one of these words and names no province is the national total
# too: "Total (30 districts)", "TOTAL RWANDA 2023", "Igiteranyo cy'uturere"; so does one
# that ends with "total" ("Country total").
_NATIONAL_PREFIXES = ("total", "totals", "grand total", "igiteranyo", "overall total")


def is_national_total(label: str) -> bool:
    """Whether a row label names the national total ("TOTAL", "Grand total", "Rwanda")
    rather than a province subtotal or a district."""
    key = _key(label)
    if key in _NATIONAL_KEYS:
        return True
    starts = any(key.startswith(prefix + " ") for prefix in _NATIONAL_PREFIXES)
    ends = key.endswith((" total", " totals"))  # "Country total", "RSSB total"
    return (starts or ends) and province_subtotal(label) is None


def province_subtotal(label: str) -> str | None:
    """The province a subtotal row is labelled with (``Umujyi wa Kigali`` → Kigali City)."""
    key = _key(label)
    if key in _PROVINCE_KEYS:
        return _PROVINCE_KEYS[key]
    words = f" {key} "
    for word in _SUBTOTAL_WORDS:
        words = words.replace(f" {word} ", " ")
    return _PROVINCE_KEYS.get(words.strip())


# A numbered note: "(1) provisional", "1) ...", "[2] ...".
_NUMBERED_NOTE = re.compile(r"^\s*(\(\d{1,2}\)|\d{1,2}\)|\[\d{1,2}\])\s")


def is_footnote(row: tuple[str, ...] | list[str]) -> bool:
    """A row whose first filled cell is a note (``Source: ...``, ``NB: ...``, ``* ...``,
    ``(1) ...``), or a row of one filled cell holding ``label: text`` (``Prepared by: RSSB``):
    no row of any contract holds a single value."""
    filled = [cell for cell in row if cell.strip()]
    if not filled:
        return False
    first = filled[0]
    if _FOOTNOTE.match(first) or _NUMBERED_NOTE.match(first):
        return True
    return len(filled) == 1 and ":" in first.strip()[1:] and not first.strip()[0].isdigit()


_AVERAGE_KEYS = {_key(label) for label in AVERAGE_LABELS}


def is_summary_label(label: str) -> bool:
    """A national total, a province subtotal or an average (``National average``): the label
    of a row that sums or averages others, in any table."""
    key = _key(label)
    averages = key in _AVERAGE_KEYS or any(key.startswith(k + " ") for k in _AVERAGE_KEYS)
    return bool(key) and (
        averages or is_national_total(label) or province_subtotal(label) is not None
    )
