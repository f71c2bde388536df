"""Read an XLSX workbook as a spreadsheet program shows it, refusing what is unsafe to read.

- Every row a spreadsheet program shows is read, whatever the sheet's ``<dimension>`` says
  (openpyxl's read-only mode trusts it, and tools other than Excel often write it wrong).
- Hidden and very hidden sheets are listed but never read as data.
- A formula cell contributes the value Excel saved with it (``=SUM(C2:C31)`` saved as
  ``11653044``); a formula cell without a saved value is refused naming the cell. Text that
  merely starts with ``=`` is not a formula here and is refused later as formula injection.
- The workbook's date system (1900 or 1904) is kept, so a date whose format was lost (a plain
  serial number) can be read as the sender's spreadsheet meant it.

The zip-bomb and size guards run before openpyxl sees the bytes.
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from tpn_metrics.ingest.errors import FileRejectedError

MAX_XLSX_UNCOMPRESSED_BYTES = 100 * 1024 * 1024
MAX_XLSX_COMPRESSION_RATIO = 200
MAX_ROWS = 200_000


@dataclass(frozen=True)
class Sheet:
    """One worksheet as text rows; ``state`` is openpyxl's: visible, hidden or veryHidden."""

    title: str
    state: str
    rows: tuple[tuple[str, ...], ...]

    @property
    def visible(self) -> bool:
        """Whether the sheet is shown (not hidden nor very hidden)."""
        return self.state == "visible"

    def summary(self) -> str:
        """What the sheet holds, in a few words, for a refusal that lists the sheets."""
        if not self.visible:
            return f"sheet '{self.title}' ({self.state}, skipped)"
        filled = [r for r in self.rows if any(c.strip() for c in r)]
        if not filled:
            return f"sheet '{self.title}' (empty)"
        first = ", ".join(c for c in filled[0] if c.strip())[:80]
        return f"sheet '{self.title}' ({len(filled)} rows, first row: {first})"


@dataclass(frozen=True)
class Workbook:
    """A workbook read as text rows: its sheets in order and its date system."""

    sheets: tuple[Sheet, ...]
    epoch: dt.datetime  # openpyxl's CALENDAR_WINDOWS_1900 or CALENDAR_MAC_1904

    def visible_sheets(self) -> list[Sheet]:
        """The sheets a person sees, in workbook order."""
        return [s for s in self.sheets if s.visible]

    def describe(self) -> str:
        """Every sheet in a few words, for a refusal that lists them."""
        return "; ".join(s.summary() for s in self.sheets) or "no sheets"


def cell_text(value: object) -> str:
    """A cell value as text: dates ISO, whole floats without ``.0``, None as ""."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def check_zip(data: bytes) -> zipfile.ZipFile:
    """The workbook's zip archive, once checked against damage and zip bombs (too large
    or too compressed); FileRejectedError otherwise."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as error:
        raise FileRejectedError(
            "the file looks like an XLSX workbook but is damaged or truncated; export it again"
        ) from error
    total = 0
    for info in archive.infolist():
        total += info.file_size
        ratio = info.file_size / max(info.compress_size, 1)
        if ratio > MAX_XLSX_COMPRESSION_RATIO and info.file_size > 1024 * 1024:
            raise FileRejectedError(
                f"the workbook part '{info.filename}' expands {ratio:.0f}× when unpacked "
                "(a zip bomb?); refused: export the sheet again as a normal XLSX or CSV"
            )
    if total > MAX_XLSX_UNCOMPRESSED_BYTES:
        raise FileRejectedError(
            f"the workbook unpacks to {total / 1024 / 1024:.0f} MB "
            f"(limit {MAX_XLSX_UNCOMPRESSED_BYTES // 1024 // 1024} MB); refused"
        )
    return archive


def _open(data: bytes, *, data_only: bool):  # type: ignore[no-untyped-def]
    from openpyxl import load_workbook  # openpyxl is slow to import; only XLSX inputs need it

    try:
        return load_workbook(io.BytesIO(data), read_only=True, data_only=data_only)
    except Exception as error:  # openpyxl raises many kinds for a broken workbook
        raise FileRejectedError(
            f"the XLSX workbook cannot be opened ({type(error).__name__}); export it again"
        ) from error


def _sheet_rows(sheet, title: str) -> tuple[list[list[object]], list[tuple[int, int, str]]]:  # type: ignore[no-untyped-def]
    """(cell values by row, formula cells as (row, column, formula)), 1-based positions."""
    # Trust the cells, not <dimension>: read until the last row really present.
    sheet.reset_dimensions()
    rows: list[list[object]] = []
    formulas: list[tuple[int, int, str]] = []
    for number, cells in enumerate(sheet.iter_rows(), start=1):
        values: list[object] = []
        for column, cell in enumerate(cells, start=1):
            if getattr(cell, "data_type", None) == "f":
                formulas.append((number, column, str(cell.value)))
                values.append(None)
            else:
                values.append(getattr(cell, "value", None))
        rows.append(values)
        if len(rows) > MAX_ROWS:
            raise FileRejectedError(f"sheet '{title}' has over {MAX_ROWS:,} rows")
    return rows, formulas


def _fill_saved_values(
    rows: list[list[object]],
    formulas: list[tuple[int, int, str]],
    saved_sheet: Any,  # openpyxl's read-only worksheet (openpyxl ships no type hints)
    title: str,
) -> None:
    """Put the value Excel saved in place of each formula; refuse a formula without one."""
    from openpyxl.utils import get_column_letter

    saved_sheet.reset_dimensions()
    wanted = {(r, c) for r, c, _ in formulas}
    saved: dict[tuple[int, int], object] = {}
    last_row = max(r for r, _, _ in formulas)
    for number, values in enumerate(saved_sheet.iter_rows(values_only=True), start=1):
        if number > last_row:
            break
        for column, value in enumerate(values, start=1):
            if (number, column) in wanted:
                saved[(number, column)] = value
    for number, column, formula in formulas:
        value = saved.get((number, column))
        if value is None:
            raise FileRejectedError(
                f"sheet '{title}', cell {get_column_letter(column)}{number} holds a formula "
                f"({formula[:40]}) without a saved value: open the file in a spreadsheet "
                "program and save it, or send values only"
            )
        rows[number - 1][column - 1] = value


@lru_cache(maxsize=4)
def read_workbook(data: bytes) -> Workbook:
    """Every sheet of a workbook, with its visibility, as text rows (formulas never run).

    The workbook is read once; a second read for the values Excel saved with formulas
    happens only when a visible sheet holds formulas.
    """
    check_zip(data)
    workbook = _open(data, data_only=False)
    saved = None
    try:
        sheets = []
        for index, sheet in enumerate(workbook.worksheets):
            state = str(getattr(sheet, "sheet_state", "visible"))
            if state != "visible":
                sheets.append(Sheet(title=sheet.title, state=state, rows=()))
                continue
            rows, formulas = _sheet_rows(sheet, sheet.title)
            if formulas:
                saved = saved or _open(data, data_only=True)
                _fill_saved_values(rows, formulas, saved.worksheets[index], sheet.title)
            texts = [tuple(cell_text(v) for v in row) for row in rows]
            while texts and not any(c.strip() for c in texts[-1]):
                texts.pop()
            sheets.append(Sheet(title=sheet.title, state=state, rows=tuple(texts)))
        return Workbook(sheets=tuple(sheets), epoch=workbook.epoch)
    finally:
        workbook.close()
        if saved is not None:
            saved.close()
