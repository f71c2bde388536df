"""Property-based tests of the RSSB weekly loader (hypothesis).

1. Any valid weekly file loads, whole and with the right values: a random subset of the 30
   districts under name variants, alias headers in random case and order, ',' or ';', BOM or
   not, LF or CRLF, ISO or day-first dates, optional columns and national total row, counts
   within the contract (members ≤ 1.5 × target), CSV or XLSX.
2. Any single corruption of a valid CSV (a bit flipped, a byte replaced, deleted or inserted,
   the file truncated, a line duplicated or deleted, two cells swapped, a number's sign
   changed) is quarantined or loaded; never a crash, never a partial load. When it loads, every
   line the corruption did not touch is loaded exactly as in the original: a corruption cannot
   shift, drop or alter other rows. A touched line may load with other valid values (a digit
   flipped into another digit is a different valid file, which no loader can tell apart) but
   only a deleted line (or one cut off) may go missing. A damaged header may only drop one
   column (an unknown name) or relabel whole columns (two names swapped).

Each example runs the real ingestion into a fresh warehouse; only GX's Data Docs are skipped and
its results folder shared (``shared_gx``), which no outcome depends on.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, note
from hypothesis import strategies as st
from openpyxl import Workbook

from tests.reliability.conftest import PROPERTY_SETTINGS, TODAY, ingest, landing_rows_of, query
from tpn_metrics.ingest.headers import RSSB_WEEKLY
from tpn_metrics.reference import load_districts
from tpn_metrics.settings import Settings

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("shared_gx")]

DISTRICTS = tuple((d.district_id, d.district_name) for d in load_districts(Settings().seeds_dir))
COLUMN_ORDER = (
    "report_date",
    "district",
    "target_population",
    "members_paid",
    "households_paid",
    "amount_collected_rwf",
    "coverage_rate",
)
OPTIONAL = ("households_paid", "amount_collected_rwf", "coverage_rate")
ALIASES = {c.name: (c.name, *c.aliases) for c in RSSB_WEEKLY.columns}
TOTAL_LABELS = ("Total", "TOTAL", "Grand total", "Rwanda", "National")
FIRST_FRIDAY = dt.date(2015, 7, 3)
FRIDAYS = (TODAY - FIRST_FRIDAY).days // 7
LANDING_COLUMNS = (
    "district_name_received",
    "report_date",
    "target_population",
    "members_paid",
    "households_paid",
    "amount_collected_rwf",
    "coverage_rate_pct",
)
TOTAL = "<national total>"


@dataclass(frozen=True)
class Row:
    district_id: str
    label: str
    target: int
    members: int
    households: int | None
    amount: int | None
    coverage: str | None  # as written


@dataclass(frozen=True)
class WeeklyFile:
    report_date: dt.date
    rows: tuple[Row, ...]
    columns: tuple[str, ...]  # canonical names, in file order
    header: tuple[str, ...]  # as written
    date_style: str
    delimiter: str
    bom: bool
    line_end: str
    total_label: str | None
    title_rows: int
    file_format: str  # csv | xlsx

    def _date(self) -> str:
        return self.report_date.strftime(self.date_style)

    def _total(self) -> Row:
        def sum_of(attr: str) -> int | None:
            values = [getattr(r, attr) for r in self.rows]
            return None if any(v is None for v in values) else sum(values)  # type: ignore[misc]

        return Row(
            TOTAL,
            self.total_label or "",
            sum(r.target for r in self.rows),
            sum(r.members for r in self.rows),
            sum_of("households"),
            sum_of("amount"),
            None,
        )

    def _cells(self, row: Row) -> list[str]:
        values = {
            "report_date": self._date(),
            "district": row.label,
            "target_population": str(row.target),
            "members_paid": str(row.members),
            "households_paid": "" if row.households is None else str(row.households),
            "amount_collected_rwf": "" if row.amount is None else str(row.amount),
            "coverage_rate": row.coverage or "",
        }
        return [values[c] for c in self.columns]

    def lines(self) -> list[tuple[str, list[str]]]:
        """(district_id or TOTAL, cells) for each data line, in order."""
        out = [(r.district_id, self._cells(r)) for r in self.rows]
        if self.total_label is not None:
            out.append((TOTAL, self._cells(self._total())))
        return out

    def csv_bytes(self) -> bytes:
        rows = [list(self.header), *(cells for _, cells in self.lines())]
        text = self.line_end.join(self.delimiter.join(cells) for cells in rows)
        return ("\ufeff" if self.bom else "").encode() + (text + self.line_end).encode()

    def write(self, folder: Path) -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        if self.file_format == "csv":
            path = folder / "weekly.csv"
            path.write_bytes(self.csv_bytes())
            return path
        book = Workbook()
        sheet = book.active
        assert sheet is not None
        for index in range(self.title_rows):
            sheet.append([f"RSSB CBHI weekly progress ({index + 1})"])
        sheet.append(list(self.header))
        for _, cells in self.lines():
            sheet.append(
                [
                    _xlsx_value(column, cell)
                    for column, cell in zip(self.columns, cells, strict=True)
                ]
            )
        path = folder / "weekly.xlsx"
        book.save(path)
        return path

    def expected(self) -> dict[str, dict[str, Any]]:
        out = {}
        for row in self.rows:
            coverage = None
            if row.coverage is not None:
                coverage = float(row.coverage.replace(",", "."))
            out[row.district_id] = {
                "district_name_received": row.label.strip(),
                "report_date": self.report_date,
                "target_population": row.target,
                "members_paid": row.members,
                "households_paid": row.households,
                "amount_collected_rwf": row.amount,
                "coverage_rate_pct": coverage,
            }
        return out


def _xlsx_value(column: str, cell: str) -> Any:
    if cell == "":
        return None
    if column in ("target_population", "members_paid", "households_paid", "amount_collected_rwf"):
        return int(cell)
    if column == "coverage_rate":
        return float(cell.replace(",", "."))
    return cell


def _header_style(name: str) -> st.SearchStrategy[str]:
    return st.sampled_from(
        [
            name,
            name.upper(),
            name.replace("_", " ").title(),
            name.replace("_", "-"),
            f" {name} ",
        ]
    )


def _label(name: str) -> st.SearchStrategy[str]:
    return st.sampled_from(
        [
            name,
            name.upper(),
            name.lower(),
            f"{name} District",
            f"{name.upper()} DISTRICT",
            f"{name} DH",
            f"Akarere ka {name}",
            f"District of {name}",
            f"  {name} ",
        ]
    )


@st.composite
def _row(draw: st.DrawFn, district: tuple[str, str], columns: tuple[str, ...], comma: bool) -> Row:
    district_id, name = district
    target = draw(st.integers(1, 3_000_000))
    # Early in a fiscal year coverage is tiny everywhere; otherwise anything up to the limit.
    members = draw(
        st.one_of(
            st.integers(0, max(target // 50, 0)),
            st.integers(0, math.floor(target * 1.5)),
        )
    )
    households = draw(st.integers(0, members)) if "households_paid" in columns else None
    amount = draw(st.integers(0, 10**11)) if "amount_collected_rwf" in columns else None
    coverage = None
    if "coverage_rate" in columns and draw(st.booleans() | st.just(True)):
        coverage = f"{members / target * 100:.1f}"
        if comma:
            coverage = coverage.replace(".", ",")
    return Row(district_id, draw(_label(name)), target, members, households, amount, coverage)


@st.composite
def weekly_files(
    draw: st.DrawFn, *, formats: tuple[str, ...] = ("csv", "csv", "csv", "xlsx"), min_size: int = 1
) -> WeeklyFile:
    file_format = draw(st.sampled_from(formats))
    districts = draw(
        st.lists(st.sampled_from(DISTRICTS), min_size=min_size, max_size=30, unique=True)
    )
    optional = draw(st.lists(st.sampled_from(OPTIONAL), unique=True))
    columns = tuple(
        draw(st.permutations([c for c in COLUMN_ORDER if c not in OPTIONAL or c in optional]))
    )
    header = tuple(draw(_header_style(draw(st.sampled_from(ALIASES[c])))) for c in columns)
    delimiter = draw(st.sampled_from([",", ";"]))
    comma = delimiter == ";" and draw(st.booleans())
    rows = tuple(draw(_row(d, columns, comma)) for d in districts)
    return WeeklyFile(
        report_date=FIRST_FRIDAY + dt.timedelta(weeks=draw(st.integers(0, FRIDAYS))),
        rows=rows,
        columns=columns,
        header=header,
        date_style=draw(st.sampled_from(["%Y-%m-%d", "%d/%m/%Y", "%d.%m.%Y", "%d-%m-%Y"])),
        delimiter=delimiter,
        bom=draw(st.booleans()),
        line_end=draw(st.sampled_from(["\n", "\r\n"])),
        total_label=draw(st.none() | st.sampled_from(TOTAL_LABELS)),
        title_rows=draw(st.integers(0, 3)) if file_format == "xlsx" else 0,
        file_format=file_format,
    )


def _landing(settings: Settings, sha256: str) -> dict[str, dict[str, Any]]:
    rows = query(
        settings,
        f"select district_id, {', '.join(LANDING_COLUMNS)} from landing.rssb_weekly "
        "where file_sha256 = ?",
        [sha256],
    )
    return {row[0]: dict(zip(LANDING_COLUMNS, row[1:], strict=True)) for row in rows}


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return math.isclose(a, b, abs_tol=1e-9)
    return bool(a == b)


def _fresh(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Settings]:
    folder = tmp_path_factory.mktemp("example")
    return folder, Settings(home=folder / "home")


@PROPERTY_SETTINGS
@given(weekly=weekly_files())
def test_any_valid_weekly_file_loads_whole(
    weekly: WeeklyFile, tmp_path_factory: pytest.TempPathFactory
):
    folder, settings = _fresh(tmp_path_factory)
    path = weekly.write(folder / "in")
    if weekly.file_format == "csv":
        note(path.read_bytes()[:400].decode(errors="replace"))
    (outcome,) = ingest(settings, [path], source="property: valid files")
    assert outcome.status == "loaded", outcome.reason
    assert outcome.period_key == weekly.report_date.isoformat()
    assert outcome.rows == len(weekly.rows) == landing_rows_of(settings, outcome.file_sha256)
    loaded = _landing(settings, outcome.file_sha256)
    expected = weekly.expected()
    assert loaded.keys() == expected.keys()
    for district_id, values in expected.items():
        for column, value in values.items():
            assert _same(loaded[district_id][column], value), (district_id, column)
    missing = [w for w in outcome.warnings if "districts missing" in w]
    assert bool(missing) == (len(weekly.rows) < 30), outcome.warnings
    assert missing == list(outcome.warnings), "no other warning for a valid file"


# --- single corruptions ---------------------------------------------------------------------

INTERESTING_BYTES = b',;"\n\r\t -+.=@0123456789\x00\xff\xef'


@dataclass(frozen=True)
class Corruption:
    description: str
    data: bytes
    touched: frozenset[int]  # line indexes of the original (0 = header) that may differ
    removed: frozenset[int] = frozenset()  # lines the corruption deleted outright
    cut_line: int | None = None  # truncated inside this line: it may differ only if flagged


def _line_of(data: bytes, position: int) -> int:
    return data[:position].count(b"\n")


BYTE_KINDS = ("flip_bit", "replace_byte", "delete_byte", "insert_byte", "truncate")
LINE_KINDS = ("duplicate_line", "delete_line", "swap_cells", "negate_number")


def _byte_corruption(draw: st.DrawFn, kind: str, data: bytes, last: int) -> Corruption:
    # Half the time a structural byte (separator, line break, quote), where damage is subtle.
    structural = [i for i, byte in enumerate(data) if byte in b',;\r\n"']
    position = draw(st.integers(0, len(data) - 1) | st.sampled_from(structural))
    line = _line_of(data, position)
    # Changing or deleting a line break touches the next line too.
    touched = {line} | ({line + 1} if data[position] == 0x0A else set())
    if kind == "flip_bit":
        bit = draw(st.integers(0, 7))
        new = data[:position] + bytes([data[position] ^ (1 << bit)]) + data[position + 1 :]
        return Corruption(f"flip bit {bit} of byte {position}", new, frozenset(touched))
    if kind == "replace_byte":
        byte = draw(st.sampled_from(list(INTERESTING_BYTES)) | st.integers(0, 255))
        new = data[:position] + bytes([byte]) + data[position + 1 :]
        return Corruption(f"byte {position} := {byte:#04x}", new, frozenset(touched))
    if kind == "delete_byte":
        new = data[:position] + data[position + 1 :]
        return Corruption(f"delete byte {position}", new, frozenset(touched))
    if kind == "insert_byte":
        byte = draw(st.sampled_from(list(INTERESTING_BYTES)) | st.integers(0, 255))
        new = data[:position] + bytes([byte]) + data[position:]
        return Corruption(f"insert {byte:#04x} at {position}", new, frozenset({line}))
    if position == 0 or data[position - 1] == 0x0A:  # whole lines cut off: a shorter file
        cut = frozenset(range(line, last + 1))
        return Corruption(f"truncate at {position}", data[:position], cut, removed=cut)
    return Corruption(
        f"truncate at {position}, inside line {line}",
        data[:position],
        frozenset({line}),
        removed=frozenset(range(line + 1, last + 1)),
        cut_line=line,
    )


def _is_number(cell: bytes) -> bool:
    return cell.strip().replace(b",", b".").replace(b".", b"", 1).isdigit()


def _line_corruption(
    draw: st.DrawFn, kind: str, lines: list[bytes], delimiter: bytes
) -> Corruption:
    index = draw(st.integers(0, len(lines) - 1))
    if kind == "duplicate_line":
        new = b"\n".join([*lines[: index + 1], lines[index], *lines[index + 1 :]]) + b"\n"
        return Corruption(f"duplicate line {index}", new, frozenset({index}))
    if kind == "delete_line":
        new = b"\n".join([*lines[:index], *lines[index + 1 :]]) + b"\n"
        return Corruption(f"delete line {index}", new, frozenset({index}), frozenset({index}))
    ending = b"\r" if lines[index].endswith(b"\r") else b""
    cells = lines[index].rstrip(b"\r").split(delimiter)
    if kind == "swap_cells":
        i, j = draw(st.lists(st.integers(0, len(cells) - 1), min_size=2, max_size=2, unique=True))
        cells[i], cells[j] = cells[j], cells[i]
    else:
        numeric = [k for k, cell in enumerate(cells) if _is_number(cell)] or [0]
        k = draw(st.sampled_from(numeric))
        cells[k] = b"-" + cells[k]
    changed = delimiter.join(cells) + ending
    new = b"\n".join([*lines[:index], changed, *lines[index + 1 :]]) + b"\n"
    return Corruption(f"{kind} on line {index}", new, frozenset({index}))


@st.composite
def corruptions(draw: st.DrawFn, weekly: WeeklyFile) -> Corruption:
    data = weekly.csv_bytes()
    lines = data.split(b"\n")[:-1]  # the file ends with a line break
    kind = draw(st.sampled_from(BYTE_KINDS + LINE_KINDS))
    if kind in BYTE_KINDS:
        return _byte_corruption(draw, kind, data, len(lines) - 1)
    return _line_corruption(draw, kind, lines, weekly.delimiter.encode())


@PROPERTY_SETTINGS
@given(data=st.data(), weekly=weekly_files(formats=("csv",), min_size=2))
def test_a_single_corruption_never_crashes_nor_loads_part_of_a_file(
    data: st.DataObject, weekly: WeeklyFile, tmp_path_factory: pytest.TempPathFactory
):
    corruption = data.draw(corruptions(weekly))
    note(corruption.description)
    note(corruption.data.decode(errors="replace"))
    folder, settings = _fresh(tmp_path_factory)
    folder.joinpath("in").mkdir()
    path = folder / "in" / "weekly.csv"
    path.write_bytes(corruption.data)

    outcomes = ingest(settings, [path], source="property: corrupted files")
    assert len(outcomes) == 1
    (outcome,) = outcomes
    assert outcome.status in ("loaded", "quarantined"), outcome.reason
    stored = landing_rows_of(settings, outcome.file_sha256)
    if outcome.status == "quarantined":
        assert stored == 0
        assert query(settings, "select count(*) from landing.rssb_weekly") == [(0,)]
        return

    ((ledger_rows,),) = query(
        settings,
        "select row_count from landing.file_ledger where file_sha256 = ?",
        [outcome.file_sha256],
    )
    assert stored == outcome.rows == ledger_rows, "a partial load"
    loaded = _landing(settings, outcome.file_sha256)
    expected = weekly.expected()
    assert len(loaded) <= len(expected)
    untouched = [
        district_id
        for line, (district_id, _) in enumerate(weekly.lines(), start=1)
        if line not in corruption.touched | corruption.removed and district_id != TOTAL
    ]
    missing = [d for d in untouched if d not in loaded]
    assert not missing, f"lines of {missing} were not touched, yet not loaded"
    # A damaged line may load other values, but only a deleted line may go missing: a lost
    # line break must not silently drop a district.
    vanished = [
        district_id
        for line, (district_id, _) in enumerate(weekly.lines(), start=1)
        if line not in corruption.removed and district_id != TOTAL and district_id not in loaded
    ]
    assert not vanished, f"the rows of {vanished} went missing"
    if 0 in corruption.touched:
        # A damaged header can drop a column (an unknown name) or relabel one (two names
        # swapped): whole columns, never values moved between rows.
        _assert_columns_relabelled(loaded, expected, untouched)
        return
    for district_id in untouched:
        for column, value in expected[district_id].items():
            assert _same(loaded[district_id][column], value), (district_id, column)
    if corruption.cut_line:  # (a cut inside the header leaves no rows: refused above)
        # A row cut short may load only with the warning saying the file may be cut.
        district_id = weekly.lines()[corruption.cut_line - 1][0]
        if district_id != TOTAL and any(
            not _same(loaded[district_id][c], v) for c, v in expected[district_id].items()
        ):
            assert any("does not end with a line break" in w for w in outcome.warnings)


def _assert_columns_relabelled(
    loaded: dict[str, dict[str, Any]], expected: dict[str, dict[str, Any]], districts: list[str]
) -> None:
    def vector(rows: dict[str, dict[str, Any]], column: str) -> list[Any]:
        return [rows[d][column] for d in districts]

    dropped = 0
    for column in LANDING_COLUMNS:
        got = vector(loaded, column)
        if all(_same(a, b) for a, b in zip(got, vector(expected, column), strict=True)):
            continue
        if all(v is None for v in got):
            dropped += 1
            continue
        assert any(
            all(_same(a, b) for a, b in zip(got, vector(expected, other), strict=True))
            for other in LANDING_COLUMNS
        ), f"column {column} holds values of no original column"
    assert dropped <= 1, "the header lost more than one column"
