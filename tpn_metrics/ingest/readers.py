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
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from tpn_metrics.ingest.errors import FileRejectedError
from tpn_metrics.ingest.row_labels import is_footnote
from tpn_metrics.ingest.xlsx import MAX_ROWS, Workbook, read_workbook

MAX_FILE_BYTES = 20 * 1024 * 1024
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
    # The workbook's date system (XLSX only): a plain number in a date column is a serial.
    epoch: dt.datetime | None = None
    # Other visible sheets of the workbook whose header matched too (not read).
    also_matching: tuple[str, ...] = ()

    def _lines(self) -> list[tuple[int, tuple[str, ...]]]:
        return [
            (self.first_data_line + offset, row)
            for offset, row in enumerate(self.rows)
            if any(cell.strip() for cell in row)
        ]

    def records(self) -> list[tuple[int, dict[str, str]]]:
        """(line number as a person sees it in the file, {canonical column: text}).

        Blank lines and footnote rows (``Source: ...``, ``NB: ...``) are not records.
        """
        out = []
        for line, row in self._lines():
            if is_footnote(row):
                continue
            record = {
                name: (row[i].strip() if i < len(row) else "")
                for i, name in enumerate(self.columns)
                if name is not None
            }
            out.append((line, record))
        return out

    def footnotes(self) -> list[tuple[int, str]]:
        """(line number, text) of each footnote row ("Source: ...", "NB: ...")."""
        return [
            (line, " ".join(c.strip() for c in row if c.strip()))
            for line, row in self._lines()
            if is_footnote(row)
        ]

    def notes_warning(self) -> str | None:
        """The footnotes, recorded as a warning (they are not data)."""
        notes = self.footnotes()
        if not notes:
            return None
        shown = "; ".join(f"line {line}: {text[:100]}" for line, text in notes[:5])
        return f"{len(notes)} footnote row(s) not loaded as data: {shown}"

    def sheets_warning(self) -> str | None:
        """Only one sheet is read: say so when others held the same kind of table."""
        if not self.also_matching:
            return None
        others = ", ".join(f"'{name}'" for name in self.also_matching)
        return (
            f"read sheet '{self.sheet}' only: sheet(s) {others} hold the same kind of table "
            "and were not read; send one file per sheet if they are other weeks or years"
        )

    def where(self) -> str:
        """How messages name the part of the file read: the sheet of a workbook."""
        return f"sheet '{self.sheet}'" if self.sheet else ""

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


def check_size(path: Path) -> None:
    """Refuse (FileRejectedError) an empty file or one over MAX_FILE_BYTES (20 MB)."""
    size = path.stat().st_size
    if size == 0:
        raise FileRejectedError("the file is empty")
    if size > MAX_FILE_BYTES:
        raise FileRejectedError(
            f"the file is {size / 1024 / 1024:.0f} MB; inputs are expected to be small "
            f"(limit {MAX_FILE_BYTES // 1024 // 1024} MB): check it is the right file"
        )


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
    """The bytes as UTF-8 text (a BOM is dropped). FileRejectedError, with the fix to ask the
    sender for, for UTF-16/32 text, binary data, control characters or another encoding."""
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
    # Old Mac exports end lines with CR alone; csv reads those as one long line, and fails
    # on a file whose lines end in CR, LF and CRLF mixed (rows pasted from several exports).
    if re.search(r"\r(?!\n)", text):
        text = text.replace("\r\n", "\n").replace("\r", "\n")
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
    best_names: tuple[str | None, ...] = ()
    best_index, best_score = -1, 0
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
    """Canonical column names that appear more than once (unknown columns, None, ignored)."""
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
        if not any(cell.strip() for cell in row) or is_footnote(row):
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
    epoch: dt.datetime | None = None,
) -> RawTable:
    """The rows of one CSV or sheet as a RawTable: header located (:func:`locate_header`),
    columns named by ``canonical``, rows checked. FileRejectedError for a duplicated column,
    CSV rows that do not line up with the header, or a cell holding a formula."""
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
        epoch=epoch,
    )


def _matches(
    rows: list[list[str]], canonical: Callable[[str], str | None], required: set[str]
) -> bool:
    try:
        _, names = locate_header(rows, canonical, required)
    except FileRejectedError:
        return False
    return required <= set(names)


def _header_size(rows: list[list[str]], canonical: Callable[[str], str | None]) -> int:
    try:
        _, names = locate_header(rows, canonical, set())
    except FileRejectedError:
        return 0
    return len({n for n in names if n})


def pick_sheet(
    workbook: Workbook, canonical: Callable[[str], str | None], required: set[str]
) -> RawTable:
    """The first visible sheet whose header holds the contract's required columns.

    Hidden and very hidden sheets (lookup lists, old versions) are never read. When no sheet
    matches, the refusal lists every sheet and what it holds.
    """
    visible = [(sheet, [list(r) for r in sheet.rows]) for sheet in workbook.visible_sheets()]
    matching = [(s, rows) for s, rows in visible if _matches(rows, canonical, required)]
    # No sheet with every required column, but one with most of a header: read it, so the
    # refusal names the columns it lacks rather than only listing the sheets.
    partial = [(s, rows) for s, rows in visible if _header_size(rows, canonical) >= 3]
    for sheet, rows in matching or partial[:1]:
        table = table_from_rows(
            rows,
            source_format="xlsx",
            canonical=canonical,
            required=required,
            sheet=sheet.title,
            epoch=workbook.epoch,
        )
        others = tuple(s.title for s, _ in matching[1:])
        return dataclasses.replace(table, also_matching=others)
    raise FileRejectedError(
        f"no visible sheet has a header with {', '.join(sorted(required))}: {workbook.describe()}"
    )


def read_table(
    path: Path, *, canonical: Callable[[str], str | None], required: set[str]
) -> RawTable:
    """Read the matching sheet of an XLSX (see ``pick_sheet``), or a CSV separated by ',' or ';'."""
    check_size(path)
    data = path.read_bytes()
    if data[:4] == b"PK\x03\x04":
        return pick_sheet(read_workbook(data), canonical, required)
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
