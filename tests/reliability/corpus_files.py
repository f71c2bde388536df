"""The hostile-input corpus: cases read from ``corpus/corpus.yaml``, and the files too big, too
binary or too oddly named to commit, made at test time by the generators below.

Each generator writes into a folder and returns the path to ingest; its name is what
``generate:`` says in corpus.yaml.
"""

from __future__ import annotations

import datetime as dt
import io
import shutil
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from openpyxl import Workbook

from tests.conftest import FIXTURES

CORPUS = Path(__file__).parent / "corpus"
GOOD = FIXTURES / "ingest" / "good"
CANONICAL = GOOD / "rssb_2023-03-24_canonical.csv"
RSSB_HEADER = ["report_date", "district", "target_population", "members_paid"]


@dataclass(frozen=True)
class Case:
    """One hostile input and what ingestion must do with it."""

    id: str
    kind: str
    what: str
    expect: str  # quarantined | loaded
    file: str | None = None
    generate: str | None = None
    name: str | None = None  # the file name to give a generated copy
    source: str | None = None  # corpus file a generated copy is made from
    reason: str | None = None  # substring of the quarantine reason
    warnings: tuple[str, ...] = ()  # substrings, each in some warning
    no_warning: str | None = None  # substring that must appear in no warning
    rows: int | None = None  # rows loaded
    display_name: str | None = None  # the file name the ledger must record
    max_seconds: float | None = None
    kept: bool = True  # a copy is kept in the landing store
    extra: dict[str, Any] = field(default_factory=dict)

    def materialise(self, folder: Path) -> Path:
        """The path to hand to ingestion: the committed file, or a freshly generated one."""
        if self.generate is None:
            assert self.file is not None, self.id
            return CORPUS / self.file
        folder.mkdir(parents=True, exist_ok=True)
        return GENERATORS[self.generate](folder, self)


def load_cases() -> list[Case]:
    entries = yaml.safe_load((CORPUS / "corpus.yaml").read_text(encoding="utf-8"))
    known = set(Case.__dataclass_fields__) - {"extra"}
    cases = []
    for entry in entries["cases"]:
        values = {k: v for k, v in entry.items() if k in known}
        values["warnings"] = tuple(entry.get("warnings", ()))
        values["extra"] = {k: v for k, v in entry.items() if k not in known}
        cases.append(Case(**values))
    return cases


# --- generators -------------------------------------------------------------------------


def _canonical_lines() -> list[str]:
    return CANONICAL.read_text(encoding="utf-8").splitlines()


def _xlsx(path: Path, rows: list[list[Any]], *, title: str = "Sheet1") -> Path:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = title
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


def _canonical_rows() -> list[list[Any]]:
    lines = _canonical_lines()
    rows: list[list[Any]] = [lines[0].split(",")]
    for line in lines[1:31]:
        cells = line.split(",")
        rows.append([dt.datetime(2023, 3, 24), cells[1], *(int(c) for c in cells[2:6])])
    return rows


def sparse_200mb(folder: Path, case: Case) -> Path:
    """A 200 MB CSV that occupies almost no disk: a header, then a hole."""
    path = folder / "cbhi_weekly_200MB.csv"
    with path.open("wb") as handle:
        handle.write((",".join(RSSB_HEADER) + "\n").encode())
        handle.seek(200 * 1024 * 1024 - 1)
        handle.write(b"\n")
    return path


def cell_1mb(folder: Path, case: Case) -> Path:
    lines = _canonical_lines()
    cells = lines[5].split(",")
    cells[1] = "Ngoma" + "A" * (1024 * 1024)
    path = folder / "one_megabyte_cell.csv"
    path.write_text("\n".join([*lines[:5], ",".join(cells), *lines[6:]]) + "\n")
    return path


def late_control_byte(folder: Path, case: Case) -> Path:
    """A control byte past the first 4 KB (where the binary sniffing stops)."""
    lines = _canonical_lines()
    byte = case.extra["byte"]
    cells = lines[29].split(",")
    cells[1] = cells[1][:3] + chr(byte) + cells[1][3:]
    text = lines[0] + "\n" + "\n" * 4200 + "\n".join([*lines[1:29], ",".join(cells)]) + "\n"
    path = folder / f"control_0x{byte:02x}.csv"
    path.write_text(text)
    return path


def zip_bomb_one_part(folder: Path, case: Case) -> Path:
    path = folder / "bomb.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/worksheets/sheet1.xml", bytes(110 * 1024 * 1024))
    return path


def zip_bomb_many_parts(folder: Path, case: Case) -> Path:
    """Each part too small for the ratio check alone; together 101 MB."""
    path = folder / "bomb_parts.xlsx"
    part = b"<row/>" * (1024 * 1024 // 6)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        for index in range(102):
            archive.writestr(f"xl/worksheets/sheet{index}.xml", part[: 1024 * 1024 - 16])
    return path


def xlsx_empty_workbook(folder: Path, case: Case) -> Path:
    path = folder / "empty.xlsx"
    Workbook().save(path)
    return path


def xlsx_chart_sheet_only(folder: Path, case: Case) -> Path:
    from openpyxl.chart import BarChart, Reference

    book = Workbook()
    data = book.active
    assert data is not None
    for row in ([1], [2], [3]):
        data.append(row)
    chart = BarChart()
    chart.add_data(Reference(data, min_col=1, min_row=1, max_row=3))
    book.create_chartsheet("Coverage chart").add_chart(chart)
    book.remove(data)
    path = folder / "chart_only.xlsx"
    book.save(path)
    return path


def xlsx_header_only(folder: Path, case: Case) -> Path:
    return _xlsx(folder / "header_only.xlsx", [["CBHI weekly progress"], [], RSSB_HEADER])


def xlsx_formula(folder: Path, case: Case) -> Path:
    rows = _canonical_rows()
    rows[4][1] = case.extra["formula"]
    return _xlsx(folder / "formula.xlsx", rows)


def xlsx_truncated(folder: Path, case: Case) -> Path:
    buffer = io.BytesIO()
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in _canonical_rows():
        sheet.append(row)
    book.save(buffer)
    path = folder / "cut.xlsx"
    path.write_bytes(buffer.getvalue()[: len(buffer.getvalue()) // 2])
    return path


def accreditation_xlsx_formula(folder: Path, case: Case) -> Path:
    lines = (GOOD / "accreditation_2023_percent.csv").read_text().splitlines()
    rows: list[list[Any]] = [lines[0].split(",")]
    for line in lines[1:]:
        cells = line.split(",")
        rows.append([int(cells[0]), *cells[1:4], *(float(c) if c else None for c in cells[4:])])
    rows[2][5] = "=AVERAGE(E2:E5)*1.1"
    return _xlsx(folder / "accreditation_2023.xlsx", rows, title="Results")


def registry_workbook_missing_priorities(folder: Path, case: Case) -> Path:
    book = Workbook()
    book.remove(book.active)  # type: ignore[arg-type]
    for name in ("institutions", "strengths", "pairs", "events"):
        sheet = book.create_sheet(name)
        for line in (GOOD / "registry" / f"{name}.csv").read_text().splitlines():
            sheet.append(line.split(","))
    path = folder / "tpn registry.xlsx"
    book.save(path)
    return path


def named_copy(folder: Path, case: Case) -> Path:
    """A corpus file under a hostile name (names a repository should not hold)."""
    assert case.name and case.source, case.id
    target = folder / case.name
    shutil.copyfile(CORPUS / case.source, target)
    return target


GENERATORS: dict[str, Callable[[Path, Case], Path]] = {
    f.__name__: f
    for f in (
        sparse_200mb,
        cell_1mb,
        late_control_byte,
        zip_bomb_one_part,
        zip_bomb_many_parts,
        xlsx_empty_workbook,
        xlsx_chart_sheet_only,
        xlsx_header_only,
        xlsx_formula,
        xlsx_truncated,
        accreditation_xlsx_formula,
        registry_workbook_missing_priorities,
        named_copy,
    )
}
