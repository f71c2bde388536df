"""Turn a received file (CSV or XLSX, as people really send them) into rows of text.

The reader refuses what it cannot read safely before any parsing: oversized files, zip bombs,
binary junk, text that is not UTF-8, formula cells. It finds the header row below title rows.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from tpn_metrics.ingest.errors import FileRejectedError

MAX_FILE_BYTES = 20 * 1024 * 1024
MAX_XLSX_UNCOMPRESSED_BYTES = 100 * 1024 * 1024
MAX_XLSX_COMPRESSION_RATIO = 200
MAX_ROWS = 200_000
HEADER_SEARCH_ROWS = 15
_FORMULA_PREFIXES = ("=", "@", "+", "-")


@dataclass(frozen=True)
class RawTable:
    """A sheet of text cells with the header row located and named canonically."""

    source_format: str
    columns: tuple[str | None, ...]
    rows: tuple[tuple[str, ...], ...]
    first_data_line: int
    sheet: str | None = None
    unterminated: bool = False  # a CSV whose last line has no line break: maybe cut short

    def records(self) -> list[tuple[int, dict[str, str]]]:
        """(line number as a person sees it in the file, {canonical column: text})."""
        out = []
        for offset, row in enumerate(self.rows):
            if not any(cell.strip() for cell in row):
                continue
            record = {
                name: (row[i].strip() if i < len(row) else "")
                for i, name in enumerate(self.columns)
                if name is not None
            }
            out.append((self.first_data_line + offset, record))
        return out

    def cut_short_warning(self) -> str | None:
        """A file without a final line break may have been cut inside its last row."""
        records = self.records() if self.unterminated else []
        if not records:
            return None
        return (
            f"the file does not end with a line break: if it was cut short, its last row "
            f"(line {records[-1][0]}) may be incomplete"
        )


def is_formula(cell: str) -> bool:
    """A cell a spreadsheet would execute. A plain negative number is not one."""
    text = cell.strip()
    if not text or not text.startswith(_FORMULA_PREFIXES):
        return False
    if text[0] in "+-":
        rest = text[1:].replace(",", "").replace(" ", "")
        if not rest:
            return False  # a lone "-" is how people write "no value"
        try:
            float(rest)
        except ValueError:
            return True
        return False
    return True


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def check_size(path: Path) -> None:
    size = path.stat().st_size
    if size == 0:
        raise FileRejectedError("the file is empty")
    if size > MAX_FILE_BYTES:
        raise FileRejectedError(
            f"the file is {size / 1024 / 1024:.0f} MB; inputs are expected to be small "
            f"(limit {MAX_FILE_BYTES // 1024 // 1024} MB): check it is the right file"
        )


def _check_zip(data: bytes) -> zipfile.ZipFile:
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


def read_xlsx_sheets(data: bytes) -> dict[str, list[list[str]]]:
    """Every sheet of a workbook as text rows (formulas kept as their text, never evaluated)."""
    # Kind detection and parsing both read the workbook; openpyxl is the slow part of both.
    sheets = _read_xlsx_sheets(data)
    return {name: [list(row) for row in rows] for name, rows in sheets.items()}


@lru_cache(maxsize=4)
def _read_xlsx_sheets(data: bytes) -> dict[str, tuple[tuple[str, ...], ...]]:
    _check_zip(data)
    from openpyxl import load_workbook  # openpyxl is slow to import; only XLSX inputs need it

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except Exception as error:  # openpyxl raises many kinds for a broken workbook
        raise FileRejectedError(
            f"the XLSX workbook cannot be opened ({type(error).__name__}); export it again"
        ) from error
    sheets: dict[str, tuple[tuple[str, ...], ...]] = {}
    try:
        for sheet in workbook.worksheets:
            rows: list[tuple[str, ...]] = []
            for row in sheet.iter_rows(values_only=True):
                rows.append(tuple(_cell_text(v) for v in row))
                if len(rows) > MAX_ROWS:
                    raise FileRejectedError(f"sheet '{sheet.title}' has over {MAX_ROWS:,} rows")
            sheets[sheet.title] = tuple(rows)
    finally:
        workbook.close()
    return sheets


_UTF16_32_BOMS = (
    (b"\xff\xfe\x00\x00", "UTF-32"),
    (b"\x00\x00\xfe\xff", "UTF-32"),
    (b"\xff\xfe", "UTF-16"),
    (b"\xfe\xff", "UTF-16"),
)


# NUL, escape and the other C0 controls except tab, LF and CR: never in a real export, and
# they would reach the warehouse, logs and terminals inside names.
_CONTROL_BYTES = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def decode_text(data: bytes) -> str:
    for bom, encoding in _UTF16_32_BOMS:
        if data.startswith(bom):
            raise FileRejectedError(
                f"the file is {encoding} text (Excel's 'Unicode text'), not UTF-8: "
                "save it as 'CSV UTF-8' and send it again"
            )
    if b"\x00" in data[:4096]:
        raise FileRejectedError(
            "the file is binary, not text (it has NUL bytes): it is not a CSV despite its name"
        )
    control = _CONTROL_BYTES.search(data)
    if control:
        line = data[: control.start()].count(b"\n") + 1
        raise FileRejectedError(
            f"the file holds a control character (byte 0x{control.group()[0]:02x} on line "
            f"{line}): it is damaged or not plain text; export it again"
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise FileRejectedError(
            f"the file is not UTF-8 (byte 0x{data[error.start]:02x} on line {line}); "
            "save it as 'CSV UTF-8' and send it again"
        ) from error


def _csv_rows(text: str, delimiter: str) -> list[list[str]]:
    try:
        rows = list(csv.reader(io.StringIO(text), delimiter=delimiter))
    except csv.Error as error:
        raise FileRejectedError(f"the CSV cannot be parsed: {error}") from error
    if len(rows) > MAX_ROWS:
        raise FileRejectedError(f"the file has over {MAX_ROWS:,} rows")
    return rows


def locate_header(
    rows: list[list[str]], canonical: Callable[[str], str | None], required: set[str]
) -> tuple[int, tuple[str | None, ...]]:
    """Find the header among the first rows: the one naming the most known columns."""
    best_index, best_names, best_score = -1, (), 0
    for index, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        names = tuple(canonical(cell) if cell.strip() else None for cell in row)
        score = len({n for n in names if n is not None})
        if score > best_score:
            best_index, best_names, best_score = index, names, score
    if best_index < 0 or best_score < 2:
        raise FileRejectedError(
            "no header row found in the first "
            f"{HEADER_SEARCH_ROWS} rows (expected columns such as {', '.join(sorted(required))})"
        )
    return best_index, best_names


def duplicate_columns(names: tuple[str | None, ...]) -> list[str]:
    seen: set[str] = set()
    dupes = []
    for name in names:
        if name is None:
            continue
        if name in seen:
            dupes.append(name)
        seen.add(name)
    return dupes


def check_row_widths(header: list[str], data_rows: list[list[str]], *, first_line: int) -> None:
    """Refuse a CSV whose rows do not line up with its header.

    A row with fewer values than the header's named columns is what a file cut short (or a
    lost separator) looks like; a row with values beyond the header is what a merged line or
    an unquoted ',' inside a number (``1,204,311``) looks like. Either would otherwise load
    values under the wrong columns. Blank lines and empty trailing cells are fine.
    """
    named = max((i + 1 for i, cell in enumerate(header) if cell.strip()), default=0)
    width = max(len(header), named)
    for offset, row in enumerate(data_rows):
        if not any(cell.strip() for cell in row):
            continue
        line = first_line + offset
        if len(row) < named:
            raise FileRejectedError(
                f"line {line} has {len(row)} values but the header has {named} columns: "
                "is the file cut short, or a separator missing?"
            )
        if any(cell.strip() for cell in row[width:]):
            used = max(i + 1 for i, cell in enumerate(row) if cell.strip())
            raise FileRejectedError(
                f"line {line} has {used} values but the header has {width} columns: "
                "is a line break missing, or a value holding an unquoted separator "
                "(write 1204311, not 1,204,311)?"
            )


def table_from_rows(
    rows: list[list[str]],
    *,
    source_format: str,
    canonical: Callable[[str], str | None],
    required: set[str],
    sheet: str | None = None,
) -> RawTable:
    header_index, names = locate_header(rows, canonical, required)
    dupes = duplicate_columns(names)
    if dupes:
        raise FileRejectedError(
            f"column '{dupes[0]}' appears twice in the header (directly or through an alias)"
        )
    data_rows = rows[header_index + 1 :]
    if source_format.startswith("csv"):
        check_row_widths(rows[header_index], data_rows, first_line=header_index + 2)
    for offset, row in enumerate(data_rows):
        for col, cell in enumerate(row):
            if is_formula(cell):
                raise FileRejectedError(
                    f"line {header_index + 2 + offset}, column {col + 1} holds a formula or "
                    f"command ({cell.strip()[:40]!r}); send values only"
                )
    return RawTable(
        source_format=source_format,
        columns=names,
        rows=tuple(tuple(r) for r in data_rows),
        first_data_line=header_index + 2,
        sheet=sheet,
    )


def read_table(
    path: Path, *, canonical: Callable[[str], str | None], required: set[str]
) -> RawTable:
    """Read the first sheet of an XLSX, or a CSV separated by ',' or ';'."""
    check_size(path)
    data = path.read_bytes()
    if data[:4] == b"PK\x03\x04":
        sheets = read_xlsx_sheets(data)
        if not sheets:
            raise FileRejectedError("the workbook has no sheet")
        name, rows = next(iter(sheets.items()))
        return table_from_rows(
            rows, source_format="xlsx", canonical=canonical, required=required, sheet=name
        )
    text = decode_text(data)
    best: RawTable | None = None
    best_score = -1
    failures: list[FileRejectedError] = []
    for delimiter in (",", ";"):
        try:
            table = table_from_rows(
                _csv_rows(text, delimiter),
                source_format=f"csv{delimiter}",
                canonical=canonical,
                required=required,
            )
        except FileRejectedError as error:
            failures.append(error)
            continue
        score = sum(1 for c in table.columns if c is not None)
        if score > best_score:
            best, best_score = table, score
    if best is None:
        raise failures[0]
    unterminated = not text.rstrip(" \t").endswith(("\n", "\r"))
    return dataclasses.replace(best, unterminated=unterminated)
