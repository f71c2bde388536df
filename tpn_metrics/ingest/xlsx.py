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
    sheets: tuple[Sheet, ...]
    epoch: dt.datetime  # openpyxl's CALENDAR_WINDOWS_1900 or CALENDAR_MAC_1904

    def visible_sheets(self) -> list[Sheet]:
        return [s for s in self.sheets if s.visible]

    def describe(self) -> str:
        return "; ".join(s.summary() for s in self.sheets) or "no sheets"


def cell_text(value: object) -> str:
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


def _sheet_rows(formulas, values, title: str) -> tuple[tuple[str, ...], ...]:  # type: ignore[no-untyped-def]
    from openpyxl.utils import get_column_letter

    # Trust the cells, not <dimension>: read until the last row really present.
    formulas.reset_dimensions()
    values.reset_dimensions()
    rows: list[tuple[str, ...]] = []
    for number, (cells, saved) in enumerate(
        zip(formulas.iter_rows(), values.iter_rows(values_only=True), strict=False), start=1
    ):
        texts = []
        for column, cell in enumerate(cells, start=1):
            value = getattr(cell, "value", None)
            if getattr(cell, "data_type", None) == "f":
                value = saved[column - 1] if column - 1 < len(saved) else None
                if value is None:
                    raise FileRejectedError(
                        f"sheet '{title}', cell {get_column_letter(column)}{number} holds a "
                        f"formula ({str(cell.value)[:40]}) without a saved value: open the "
                        "file in a spreadsheet program and save it, or send values only"
                    )
            texts.append(cell_text(value))
        rows.append(tuple(texts))
        if len(rows) > MAX_ROWS:
            raise FileRejectedError(f"sheet '{title}' has over {MAX_ROWS:,} rows")
    while rows and not any(c.strip() for c in rows[-1]):
        rows.pop()
    return tuple(rows)


@lru_cache(maxsize=4)
def read_workbook(data: bytes) -> Workbook:
    """Every sheet of a workbook, with its visibility, as text rows (formulas never run)."""
    check_zip(data)
    formulas = _open(data, data_only=False)
    values = _open(data, data_only=True)
    try:
        sheets = []
        for sheet, saved in zip(formulas.worksheets, values.worksheets, strict=True):
            state = str(getattr(sheet, "sheet_state", "visible"))
            rows = _sheet_rows(sheet, saved, sheet.title) if state == "visible" else ()
            sheets.append(Sheet(title=sheet.title, state=state, rows=rows))
        return Workbook(sheets=tuple(sheets), epoch=formulas.epoch)
    finally:
        formulas.close()
        values.close()
