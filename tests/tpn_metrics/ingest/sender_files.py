"""Build sender-style variants of one real week (tests/fixtures/ingest/cases/rssb-baseline).

Helpers shared by the tests of each kind of issue 16: the baseline's rows, and writers for CSV
(any separator and line end) and XLSX (sheets with visibility, 1904 dates, parts rewritten the
way other tools write them).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from collections.abc import Callable
from pathlib import Path

from openpyxl import Workbook
from openpyxl.utils.datetime import CALENDAR_MAC_1904

from tests.conftest import FIXTURES
from tpn_metrics.ingest.intake import IngestOutcome, ingest_paths
from tpn_metrics.settings import Settings

BASELINE = FIXTURES / "ingest" / "cases" / "rssb-baseline" / "cbhi_2023-03-24.csv"
TODAY = dt.date(2026, 11, 23)
TARGET_TOTAL = 11_653_044
MEMBERS_TOTAL = 9_963_785
HOUSEHOLDS_TOTAL = 2_329_853
PROVINCE_OF = {
    row["district_id"]: row["province"]
    for row in csv.DictReader(
        (FIXTURES.parent.parent / "dbt_project/seeds/reference/districts.csv").open()
    )
}


def baseline_rows() -> list[list[str]]:
    """Header then the 30 district rows, as text."""
    with BASELINE.open(newline="") as handle:
        return [list(r) for r in csv.reader(handle)]


def total_row(label: str, rows: list[list[str]], *, date: str = "") -> list[str]:
    """A total row over the given district rows (target, members, households)."""
    sums = [sum(int(r[i]) for r in rows) for i in (2, 3, 4)]
    return [date, label, *map(str, sums), "", ""]


def write_csv(
    path: Path, rows: list[list[str]], *, delimiter: str = ",", line_end: str = "\r\n"
) -> Path:
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter, lineterminator=line_end).writerows(rows)
    path.write_text(buffer.getvalue(), encoding="utf-8", newline="")
    return path


def write_xlsx(
    path: Path,
    sheets: list[tuple[str, list[list[object]], str]],
    *,
    date1904: bool = False,
) -> Path:
    """``sheets``: (title, rows, state) with state visible, hidden or veryHidden."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    if date1904:
        workbook.epoch = CALENDAR_MAC_1904
    for title, rows, state in sheets:
        sheet = workbook.create_sheet(title)
        for row in rows:
            sheet.append(row)
        sheet.sheet_state = state
    workbook.save(path)
    return path


def rewrite_part(path: Path, part: str, change: Callable[[str], str]) -> Path:
    """Rewrite one XML part of a workbook, as another tool would have written it."""
    with zipfile.ZipFile(path) as archive:
        members = {info.filename: archive.read(info) for info in archive.infolist()}
    members[part] = change(members[part].decode()).encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


def typed(rows: list[list[str]]) -> list[list[object]]:
    """Numbers as numbers, as a spreadsheet holds them."""
    return [[int(c) if c.isdigit() else c for c in row] for row in rows]


def ingest_one(settings: Settings, path: Path, today: dt.date = TODAY) -> IngestOutcome:
    (outcome,) = ingest_paths([path], settings, today=today)
    return outcome
