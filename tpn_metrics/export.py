"""Export a warehouse table for analysts, as CSV or XLSX, safe to open in a spreadsheet.

Names and labels in the warehouse come from files other people sent (district names as
received, hospital names, registry entries...). A text cell such as ``=HYPERLINK(...)`` or
``+cmd|' /C calc'!A0`` would run as a formula when an analyst opens the export in Excel or
LibreOffice (CSV/formula injection). So every *text* cell that starts with ``=``, ``+``, ``-``,
``@``, a tab or a carriage return is written with a leading ``'``, which spreadsheets show as
text; numbers, dates and booleans are written as what they are, so a negative number stays a
number. Column names are treated the same way.

The file is written next to its destination and renamed into place, so an interrupted export
never leaves half a file under the final name.
"""

from __future__ import annotations

import csv
import datetime as dt
import decimal
import os
import re
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import duckdb

#: What a spreadsheet may execute when a text cell starts with it (OWASP's list).
DANGEROUS_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
XLSX_MAX_ROWS = 1_048_576  # Excel's sheet limit, header included
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_BATCH_ROWS = 10_000

ExportFormat = Literal["csv", "xlsx"]


class ExportError(ValueError):
    """The export was refused: unknown or malformed table name, unknown format, too many rows."""


@dataclass(frozen=True)
class ExportSummary:
    """What an export wrote: the file's final ``path``, the data ``rows`` written (header not
    counted), and ``cells_neutralised``, the text cells (header included) written with a
    leading ``'`` so a spreadsheet shows them as text."""

    path: Path
    rows: int
    cells_neutralised: int


def neutralise(value: str) -> str:
    """The text as a spreadsheet will show it, never as a formula."""
    return "'" + value if value.startswith(DANGEROUS_PREFIXES) else value


def _split_name(table: str) -> tuple[str, str]:
    parts = table.split(".")
    if len(parts) == 1:
        parts = ["main", parts[0]]
    if len(parts) != 2 or not all(_IDENTIFIER.match(part) for part in parts):
        raise ExportError(f"'{table}' is not a table name like marts.fct_cbhi_weekly")
    return parts[0], parts[1]


def _resolve(con: duckdb.DuckDBPyConnection, table: str) -> str:
    schema, name = _split_name(table)
    row = con.execute(
        "select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
        [schema, name],
    ).fetchone()
    if not row or not row[0]:
        raise ExportError(f"no table or view {schema}.{name} in the warehouse")
    return f'"{schema}"."{name}"'


def _batches(cursor: duckdb.DuckDBPyConnection) -> Iterator[list[tuple[Any, ...]]]:
    while batch := cursor.fetchmany(_BATCH_ROWS):
        yield batch


class _Counter:
    def __init__(self) -> None:
        self.neutralised = 0

    def text(self, value: str) -> str:
        safe = neutralise(value)
        if safe is not value:
            self.neutralised += 1
        return safe


def _csv_cell(value: Any, counter: _Counter) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float | decimal.Decimal):
        return value
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    return counter.text(str(value))


def _xlsx_cell(value: Any, counter: _Counter) -> Any:
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    if value is None or isinstance(value, bool | int | float | decimal.Decimal):
        return value
    if isinstance(value, dt.datetime):
        # Excel has no time zones: write UTC wall time, as the warehouse stores it.
        return value.replace(tzinfo=None)
    if isinstance(value, dt.date | dt.time):
        return value
    # Control characters cannot be stored in XLSX; they never belong in a label anyway.
    return counter.text(ILLEGAL_CHARACTERS_RE.sub("\ufffd", str(value)))


def _write_csv(
    handle: Any, columns: list[str], batches: Iterator[list[tuple[Any, ...]]], counter: _Counter
) -> int:
    writer = csv.writer(handle, lineterminator="\r\n")
    writer.writerow([counter.text(c) for c in columns])
    rows = 0
    for batch in batches:
        writer.writerows([_csv_cell(v, counter) for v in row] for row in batch)
        rows += len(batch)
    return rows


def _write_xlsx(
    target: Path,
    sheet_title: str,
    columns: list[str],
    batches: Iterator[list[tuple[Any, ...]]],
    counter: _Counter,
) -> int:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=sheet_title[:31])
    sheet.append([counter.text(c) for c in columns])
    rows = 0
    for batch in batches:
        rows += len(batch)
        if rows + 1 > XLSX_MAX_ROWS:
            raise ExportError(
                f"the table has over {XLSX_MAX_ROWS - 1:,} rows, more than a sheet holds; "
                "export it as CSV"
            )
        for row in batch:
            sheet.append([_xlsx_cell(v, counter) for v in row])
    workbook.save(target)
    return rows


def export_table(
    con: duckdb.DuckDBPyConnection,
    table: str,
    path: Path,
    format: ExportFormat = "csv",
) -> ExportSummary:
    """Write ``table`` (``schema.table``) to ``path`` as CSV (UTF-8 with BOM) or XLSX.

    Text cells a spreadsheet would execute are neutralised (see the module's docstring).
    Raises :class:`ExportError` for an unknown table, a malformed name or format, or a folder
    that does not exist. The file gets the usual permissions (0666 less the umask).
    """
    if format not in ("csv", "xlsx"):
        raise ExportError(f"format must be 'csv' or 'xlsx', not {format!r}")
    relation = _resolve(con, table)
    cursor = con.execute(f"select * from {relation}")
    columns = [d[0] for d in cursor.description or []]
    counter = _Counter()
    path = Path(path)
    if not path.parent.is_dir():
        raise ExportError(f"no folder {path.parent}: create it first, or write somewhere else")
    descriptor, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    os.close(descriptor)
    partial = Path(temporary)
    # mkstemp makes a private file (0600); an export is for people: the usual mode, umask's.
    umask = os.umask(0)
    os.umask(umask)
    partial.chmod(0o666 & ~umask)
    try:
        if format == "csv":
            # The BOM makes Excel read the file as UTF-8 (district names carry accents).
            with partial.open("w", encoding="utf-8-sig", newline="") as handle:
                rows = _write_csv(handle, columns, _batches(cursor), counter)
        else:
            rows = _write_xlsx(partial, _split_name(table)[1], columns, _batches(cursor), counter)
        partial.replace(path)
    finally:
        partial.unlink(missing_ok=True)
    return ExportSummary(path=path, rows=rows, cells_neutralised=counter.neutralised)
