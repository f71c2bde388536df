"""Read the four DHIS2 export formats into one long table of values, as written (all text).

Sources (DHIS2 developer docs, dhis2/dhis2-docs ``src/developer/web-api/``):

- ``analytics.md`` § "Response formats" (``#webapi_analytics_response_formats``): the analytics
  JSON ``{"headers": [{"name": "dx", "column": "Data", ...}], "metaData": {...}, "rows": [[...]]}``
  with values as strings; ``metaData.items`` (``{uid: {"name": ...}}``; older servers write
  ``metaData.names``: ``{uid: name}``); ``metaData.ouHierarchy`` (``{uid: "/root/.../parent"}``,
  with ``hierarchyMeta=true``, § "Request query parameters"); ``includeNumDen=true`` adds the
  columns ``numerator``, ``denominator``, ``factor``, ``multiplier``, ``divisor``.
- The analytics CSV is the same grid: dhis2-core ``GridUtils.toCsv`` writes each header's
  *display column* (``Data``, ``Period``, ``Organisation unit``, ``Value``, ``Numerator``...,
  ``DataQueryParams.DISPLAY_NAME_*``) as the header row; the names (``dx``, ``pe``, ``ou``,
  ``value``) are accepted too.
- ``data.md`` § "Sending data values" / "Reading data values": the ``dataValueSets`` JSON,
  ``{"dataSet", "period", "orgUnit", "attributeOptionCombo", "dataValues": [{"dataElement",
  "categoryOptionCombo", "period", "orgUnit", "value", "deleted"...}]}`` (top-level keys are
  defaults for every value); § "CSV data value format": the CSV, quoted lower-case header
  ``dataelement,period,orgunit,catoptcombo,attroptcombo,value,storedby,lastupdated,comment,
  followup,deleted`` (also ``categoryoptioncombo``/``attributeoptioncombo``). A value marked
  ``deleted`` (soft-deleted, ``includeDeleted=true``) is not a value.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from typing import Any

from tpn_metrics.ingest.errors import FileRejectedError
from tpn_metrics.ingest.parsed import line_ranges
from tpn_metrics.ingest.readers import decode_text

ANALYTICS_JSON = "analytics_json"
ANALYTICS_CSV = "analytics_csv"
DATA_VALUE_SET_JSON = "data_value_set_json"
DATA_VALUE_SET_CSV = "data_value_set_csv"
SOURCE_FORMATS = (ANALYTICS_JSON, ANALYTICS_CSV, DATA_VALUE_SET_JSON, DATA_VALUE_SET_CSV)

# Field of a long row -> analytics header names and display columns that hold it.
_ANALYTICS_COLUMNS = {
    "data_item_uid": ("dx", "data"),
    "period_id": ("pe", "period"),
    "org_unit_uid": ("ou", "organisation unit", "organization unit"),
    "category_option_combo_uid": ("co", "category option combo"),
    "attribute_option_combo_uid": ("ao", "attribute option combo"),
    "value": ("value",),
    "numerator": ("numerator",),
    "denominator": ("denominator",),
    "factor": ("factor",),
    "multiplier": ("multiplier",),
    "divisor": ("divisor",),
}
# The dimensions an analytics export may have: any other (a category, a group set, a
# program attribute...) as a column splits values we would add up wrongly, and as a filter
# leaves a part of each value (analytics.md § "Dimensions and items").
ANALYTICS_DIMENSIONS = ("dx", "pe", "ou", "co", "ao")
# Field of a long row -> data value set CSV header names (lower-case, as DHIS2 writes them).
_DVS_COLUMNS = {
    "data_item_uid": ("dataelement",),
    "period_id": ("period",),
    "org_unit_uid": ("orgunit",),
    "category_option_combo_uid": ("catoptcombo", "categoryoptioncombo"),
    "attribute_option_combo_uid": ("attroptcombo", "attributeoptioncombo"),
    "value": ("value",),
    "deleted": ("deleted",),
}
_REQUIRED = ("data_item_uid", "period_id", "org_unit_uid", "value")
FIELDS = (
    "data_item_uid",
    "category_option_combo_uid",
    "attribute_option_combo_uid",
    "period_id",
    "org_unit_uid",
    "value",
    "numerator",
    "denominator",
    "factor",
    "multiplier",
    "divisor",
)


@dataclass(frozen=True)
class RawValue:
    """One value as the file wrote it: ``number`` is its line (CSV) or entry (JSON, from 1);
    ``fields`` maps :data:`FIELDS` to the text written ("" when absent)."""

    number: int
    fields: dict[str, str]


@dataclass
class DHIS2Export:
    """A DHIS2 file read but not yet resolved.

    ``source_format`` is one of :data:`SOURCE_FORMATS`; ``names`` maps uids (org units, data
    items) to the names the file's metadata gives; ``hierarchy`` maps an org unit uid to its
    ancestors' uids, root first (``metaData.ouHierarchy``); ``unit`` is what a row is called
    in messages ("line" for CSV, "row" for analytics JSON, "dataValue" for data value sets);
    ``skipped`` counts values not read (deleted, or without a value).
    """

    source_format: str
    values: list[RawValue]
    names: dict[str, str] = field(default_factory=dict)
    hierarchy: dict[str, tuple[str, ...]] = field(default_factory=dict)
    unit: str = "line"
    skipped_deleted: int = 0
    skipped_blank: int = 0


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value).strip()


def _key(header: str) -> str:
    return " ".join(header.strip().strip('"').lower().split())


def _csv_format(header: list[str]) -> str | None:
    keys = {_key(h) for h in header}
    if {"dataelement", "period", "orgunit"} <= keys:
        return DATA_VALUE_SET_CSV
    if all(keys & set(_ANALYTICS_COLUMNS[f]) for f in _REQUIRED):
        return ANALYTICS_CSV
    return None


def sniff_format(data: bytes) -> str | None:
    """The DHIS2 format of a file's bytes, or None when it is not a DHIS2 export.

    A JSON object with ``headers`` and ``rows`` is analytics, one with ``dataValues`` a data
    value set; a CSV whose first line names ``dataelement``, ``period``, ``orgunit`` is a data
    value set, one naming ``dx``/``Data``, ``pe``/``Period``, ``ou``/``Organisation unit`` and
    ``value``/``Value`` analytics. Raises FileRejectedError for a JSON object that is neither
    (or JSON that does not parse), since no other input of ours is JSON.
    """
    head = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith(b"[") and not _parses(data):
        head = b""  # "[Draft] CBHI weekly..." is a CSV title row, not broken JSON
    if head.startswith((b"{", b"[")):
        document = _load_json(data)
        if isinstance(document, dict) and "headers" in document and "rows" in document:
            return ANALYTICS_JSON
        if isinstance(document, dict) and "dataValues" in document:
            return DATA_VALUE_SET_JSON
        keys = ", ".join(sorted(document)[:8]) if isinstance(document, dict) else "a list"
        raise FileRejectedError(
            "a JSON file that is neither a DHIS2 analytics response (with 'headers' and "
            "'rows') nor a data value set (with 'dataValues'); it holds: "
            f"{keys or 'nothing'}. Export from /api/analytics.json or /api/dataValueSets.json"
        )
    try:
        first = data[:4096].decode("utf-8-sig", errors="replace").splitlines()
    except UnicodeDecodeError:  # pragma: no cover - errors="replace" never raises
        return None
    if not first:
        return None
    return _csv_format(next(csv.reader([first[0]], delimiter=_delimiter(first[0]))))


def _delimiter(header_line: str) -> str:
    """``;`` when the header row is separated by semicolons (a DHIS2 CSV opened and saved
    again by a spreadsheet in a locale whose decimal mark is a comma), else ``,``."""
    return ";" if header_line.count(";") > header_line.count(",") else ","


def _parses(data: bytes) -> bool:
    try:
        json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        return False
    return True


def _load_json(data: bytes) -> Any:
    try:
        return json.loads(decode_text(data))
    except json.JSONDecodeError as error:
        raise FileRejectedError(
            f"the JSON does not parse (line {error.lineno}, column {error.colno}: {error.msg}); "
            "send the file as DHIS2 exported it"
        ) from error


def _names(meta: dict[str, Any]) -> dict[str, str]:
    names: dict[str, str] = {}
    for uid, name in (meta.get("names") or {}).items():  # older servers
        names[str(uid)] = _text(name)
    for uid, item in (meta.get("items") or {}).items():
        if isinstance(item, dict) and item.get("name"):
            names[str(uid)] = _text(item["name"])
    return names


def _hierarchy(meta: dict[str, Any]) -> dict[str, tuple[str, ...]]:
    paths = meta.get("ouHierarchy") or {}
    return {
        str(uid): tuple(p for p in str(path).split("/") if p)
        for uid, path in paths.items()
        if isinstance(path, str)
    }


def _single_dimension(meta: dict[str, Any], dimension: str) -> str:
    """The one item of a dimension used as a filter (not a column), e.g. ``filter=ou:X``."""
    items = (meta.get("dimensions") or {}).get(dimension) or meta.get(dimension) or []
    return str(items[0]) if isinstance(items, list) and len(items) == 1 else ""


def _missing(found: dict[str, int], wanted: dict[str, tuple[str, ...]], filled: set[str]) -> None:
    missing = [f for f in _REQUIRED if f not in found and f not in filled]
    if missing:
        raise FileRejectedError(
            "the export lacks the column(s) "
            + ", ".join("/".join(wanted[f]) for f in missing)
            + "; export the data, period and organisation unit dimensions as columns or rows"
        )


def _other_dimensions(
    columns: list[tuple[str, str]], meta: dict[str, Any], names: dict[str, str]
) -> None:
    """Refuse an analytics export split or filtered by a dimension other than dx/pe/ou/co/ao.

    ``columns`` are (name, display column) of the headers. A category option combo or
    attribute option combo filter (``co``/``ao`` listing items in ``metaData.dimensions``
    but not a column) keeps a part of each value; an empty ``"co": []``, which DHIS2 writes
    in every response, is no filter.
    """
    known = {alias for aliases in _ANALYTICS_COLUMNS.values() for alias in aliases}
    shown = [
        f"'{column or name}'" + (f" ({name})" if column and name and column != name else "")
        for name, column in columns
        if not ({_key(name), _key(column)} & known)
    ]
    dimensions = meta.get("dimensions") or {}
    named = {_key(name) for name, _ in columns} | {_key(column) for _, column in columns}
    filters = []
    for dimension, items in dimensions.items() if isinstance(dimensions, dict) else ():
        label = f"'{names.get(str(dimension), dimension)}'" + (
            f" ({dimension})" if str(dimension) in names else ""
        )
        if str(dimension) not in ANALYTICS_DIMENSIONS:
            if str(dimension).lower() not in named:
                filters.append(label)
        elif dimension in ("co", "ao") and items and dimension not in named:
            filters.append(f"{dimension} = {', '.join(map(str, items))}")
    problems = []
    if shown:
        problems.append(
            f"the export has a column for the dimension(s) {', '.join(shown)}: export only "
            "data, period, organisation unit (and category/attribute option combo) as "
            "dimensions, so each row is a whole value"
        )
    if filters:
        problems.append(
            f"the export is filtered on {', '.join(filters)}: its values are a part of each "
            "total, not the total; export without that filter"
        )
    if problems:
        raise FileRejectedError(problems)


def _read_analytics_json(document: dict[str, Any]) -> DHIS2Export:
    headers = document.get("headers") or []
    meta = document.get("metaData") or {}
    found: dict[str, int] = {}
    columns: list[tuple[str, str]] = []
    for index, header in enumerate(headers):
        entry = header if isinstance(header, dict) else {}
        columns.append((_text(entry.get("name")), _text(entry.get("column"))))
        for key in (_key(_text(entry.get("name"))), _key(_text(entry.get("column")))):
            for name, aliases in _ANALYTICS_COLUMNS.items():
                if key in aliases and name not in found:
                    found[name] = index
    _other_dimensions(columns, meta, _names(meta))
    filters = {
        f: _single_dimension(meta, d) for f, d in (("period_id", "pe"), ("org_unit_uid", "ou"))
    }
    _missing(found, _ANALYTICS_COLUMNS, {f for f, v in filters.items() if v})
    rows = document.get("rows") or []
    export = DHIS2Export(ANALYTICS_JSON, [], _names(meta), _hierarchy(meta), unit="row")
    for number, row in enumerate(rows, start=1):
        cells = list(row) if isinstance(row, list) else []
        fields = {f: filters.get(f, "") for f in FIELDS}
        for name, index in found.items():
            fields[name] = _text(cells[index]) if index < len(cells) else ""
        _keep(export, number, fields)
    return export


def _keep(export: DHIS2Export, number: int, fields: dict[str, str]) -> None:
    if fields.get("deleted", "").lower() == "true":
        export.skipped_deleted += 1
    elif not fields["value"]:
        export.skipped_blank += 1
    else:
        export.values.append(RawValue(number, {f: fields.get(f, "") for f in FIELDS}))


def _read_data_value_set_json(document: dict[str, Any]) -> DHIS2Export:
    defaults = {
        "period_id": _text(document.get("period")),
        "org_unit_uid": _text(document.get("orgUnit")),
        "attribute_option_combo_uid": _text(document.get("attributeOptionCombo")),
    }
    keys = {
        "data_item_uid": "dataElement",
        "category_option_combo_uid": "categoryOptionCombo",
        "attribute_option_combo_uid": "attributeOptionCombo",
        "period_id": "period",
        "org_unit_uid": "orgUnit",
        "value": "value",
        "deleted": "deleted",
    }
    export = DHIS2Export(DATA_VALUE_SET_JSON, [], unit="dataValue")
    for number, item in enumerate(document.get("dataValues") or [], start=1):
        entry = item if isinstance(item, dict) else {}
        fields = {f: _text(entry.get(k)) or defaults.get(f, "") for f, k in keys.items()}
        _keep(export, number, fields)
    return export


def _read_csv(text: str, source_format: str) -> DHIS2Export:
    columns = _DVS_COLUMNS if source_format == DATA_VALUE_SET_CSV else _ANALYTICS_COLUMNS
    lines = text.splitlines()
    delimiter = _delimiter(lines[0]) if lines else ","
    rows = list(csv.reader(io.StringIO(text), delimiter=delimiter))
    header = [_key(h) for h in rows[0]] if rows else []
    if source_format == ANALYTICS_CSV:
        _other_dimensions([(h, h) for h in rows[0] if h.strip()] if rows else [], {}, {})
    found = {
        name: header.index(alias)
        for name, aliases in columns.items()
        for alias in reversed(aliases)
        if alias in header
    }
    _missing(found, columns, set())
    export = DHIS2Export(source_format, [], unit="line")
    too_long: list[int] = []
    for line, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len([c for c in row if c.strip()]) > len(rows[0]):
            too_long.append(line)  # its values would be read from the wrong columns
            continue
        fields = {name: row[i].strip() if i < len(row) else "" for name, i in found.items()}
        _keep(export, line, fields)
    if too_long:
        word = "lines" if len(too_long) > 1 else "line"
        raise FileRejectedError(
            f"{word} {line_ranges(too_long)}: more values than the header's "
            f"{len(rows[0])} columns, e.g. a number written with a thousands separator "
            f"(1{delimiter}204) unquoted: write numbers without separators (1204), as DHIS2 "
            "exports them"
        )
    return export


def read_export(data: bytes) -> DHIS2Export:
    """Every value of a DHIS2 export (any of the four formats), as text, with its metadata.

    Raises FileRejectedError when the file is not one of the four formats, its JSON does not
    parse, or a required column (data item, period, org unit, value) is missing.
    """
    source_format = sniff_format(data)
    if source_format in (ANALYTICS_JSON, DATA_VALUE_SET_JSON):
        document = _load_json(data)
        if source_format == ANALYTICS_JSON:
            return _read_analytics_json(document)
        return _read_data_value_set_json(document)
    if source_format is None:
        raise FileRejectedError(
            "not a DHIS2 export: expected an analytics or dataValueSets export (JSON or CSV)"
        )
    return _read_csv(decode_text(data), source_format)
