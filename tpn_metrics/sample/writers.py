"""Write CSV and XLSX files whose bytes depend only on their content.

openpyxl stamps the workbook's created/modified properties and every zip entry with the current
time, so two runs would differ; the workbook is rewritten with fixed stamps (the report's own
date) so the same seed gives byte-identical files and the landing store sees identical content
as a duplicate.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import zipfile
from collections.abc import Sequence
from pathlib import Path

from openpyxl import Workbook

Cell = str | int | float | dt.date | None

_CORE_STAMP = re.compile(rb"(<dcterms:(created|modified)[^>]*>)[^<]*(</dcterms:\2>)")


def write_csv(
    path: Path,
    rows: Sequence[Sequence[Cell]],
    *,
    delimiter: str = ",",
    bom: bool = False,
    line_end: str = "\n",
) -> None:
    """Write ``rows`` as CSV (UTF-8, with a BOM if ``bom``); ``None`` as empty, dates ISO."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator=line_end)
    for row in rows:
        writer.writerow(["" if cell is None else _text(cell) for cell in row])
    path.write_bytes(buffer.getvalue().encode("utf-8-sig" if bom else "utf-8"))


def _text(cell: Cell) -> str:
    if isinstance(cell, dt.date):
        return cell.isoformat()
    return str(cell)


def write_xlsx(
    path: Path,
    rows: Sequence[Sequence[Cell]],
    *,
    stamp: dt.datetime,
    sheet_title: str = "Sheet1",
    date_format: str = "DD/MM/YYYY",
    author: str = "",
) -> None:
    """One sheet of plain values; dates become real Excel dates shown day-first."""
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None  # a new Workbook always has one sheet
    sheet.title = sheet_title
    for row in rows:
        sheet.append(list(row))
    for line in sheet.iter_rows():
        for cell in line:
            if isinstance(cell.value, dt.date):
                cell.number_format = date_format
    workbook.properties.creator = author
    workbook.properties.lastModifiedBy = author
    workbook.properties.created = stamp
    buffer = io.BytesIO()
    workbook.save(buffer)
    path.write_bytes(_with_fixed_stamps(buffer.getvalue(), stamp))


def _with_fixed_stamps(data: bytes, stamp: dt.datetime) -> bytes:
    iso = stamp.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            payload = source.read(info.filename)
            if info.filename == "docProps/core.xml":
                payload = _CORE_STAMP.sub(rb"\g<1>" + iso + rb"\g<3>", payload)
            entry = zipfile.ZipInfo(info.filename, date_time=stamp.timetuple()[:6])
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o644 << 16
            target.writestr(entry, payload)
    return out.getvalue()
