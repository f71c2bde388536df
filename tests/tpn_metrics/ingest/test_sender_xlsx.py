"""Issue 16, kinds 2, 3, 5 and 7 on workbooks we write: lying <dimension>, which sheet, dates
whose format was lost (1900 and 1904 systems), formula cells with and without saved values."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import duckdb
import pytest

from tests.tpn_metrics.ingest.sender_files import (
    MEMBERS_TOTAL,
    TARGET_TOTAL,
    baseline_rows,
    ingest_one,
    rewrite_part,
    total_row,
    typed,
    write_xlsx,
)
from tpn_metrics.settings import Settings

SHEET1 = "xl/worksheets/sheet1.xml"


def landed(settings: Settings) -> tuple:
    con = duckdb.connect(str(settings.warehouse_path), read_only=True)
    try:
        return con.execute(
            "select count(*), sum(target_population), sum(members_paid), "
            "min(report_date), max(report_date) from landing.rssb_weekly where not is_superseded"
        ).fetchone()
    finally:
        con.close()


def ledger_sheet(settings: Settings) -> str | None:
    con = duckdb.connect(str(settings.warehouse_path), read_only=True)
    try:
        return con.execute("select xlsx_sheet from landing.file_ledger").fetchone()[0]
    finally:
        con.close()


WEEK = (30, TARGET_TOTAL, MEMBERS_TOTAL, dt.date(2023, 3, 24), dt.date(2023, 3, 24))


@pytest.mark.parametrize("claimed", ["A1:G1", "A1:G5", "A1", "A1:C12"])
def test_a_lying_dimension_does_not_hide_rows(claimed: str, settings: Settings, tmp_path: Path):
    path = write_xlsx(tmp_path / "dim.xlsx", [("Sheet1", typed(baseline_rows()), "visible")])
    rewrite_part(
        path,
        SHEET1,
        lambda xml: re.sub(r'<dimension ref="[^"]*"', f'<dimension ref="{claimed}"', xml),
    )
    outcome = ingest_one(settings, path)
    assert outcome.status == "loaded", outcome.reason
    assert landed(settings) == WEEK
    assert not any("missing" in w for w in outcome.warnings)


@pytest.mark.parametrize("state", ["hidden", "veryHidden"])
def test_hidden_sheets_are_skipped_even_when_they_hold_a_weekly_table(
    state: str, settings: Settings, tmp_path: Path
):
    decoy = baseline_rows()
    for row in decoy[1:]:
        row[3] = str(int(row[3]) - 1000)  # an older draft: must not be read
    path = write_xlsx(
        tmp_path / "hidden.xlsx",
        [("old draft", typed(decoy), state), ("Week 12", typed(baseline_rows()), "visible")],
    )
    outcome = ingest_one(settings, path)
    assert outcome.status == "loaded", outcome.reason
    assert landed(settings) == WEEK
    assert ledger_sheet(settings) == "Week 12"


def test_the_first_visible_sheet_that_matches_is_read_after_a_cover_sheet(
    settings: Settings, tmp_path: Path
):
    cover = [["CBHI progress update"], ["Prepared by RSSB"], ["See next sheet"]]
    path = write_xlsx(
        tmp_path / "cover.xlsx",
        [("Cover", cover, "visible"), ("Data", typed(baseline_rows()), "visible")],
    )
    assert ingest_one(settings, path).status == "loaded"
    assert ledger_sheet(settings) == "Data"


def test_no_matching_sheet_lists_every_sheet_and_what_it_held(settings: Settings, tmp_path: Path):
    path = write_xlsx(
        tmp_path / "none.xlsx",
        [
            ("lookup", typed(baseline_rows()), "veryHidden"),
            ("Notes", [["Figures follow next week"]], "visible"),
            ("Blank", [], "visible"),
        ],
    )
    outcome = ingest_one(settings, path)
    assert outcome.status == "quarantined"
    reason = outcome.reason or ""
    assert "sheet 'lookup' (veryHidden, skipped)" in reason
    assert "sheet 'Notes' (1 rows, first row: Figures follow next week)" in reason
    assert "sheet 'Blank' (empty)" in reason


def test_a_sheet_lacking_a_required_column_is_named_with_the_column(
    settings: Settings, tmp_path: Path
):
    rows = [r[:3] + r[4:] for r in baseline_rows()]  # members_paid dropped
    path = write_xlsx(tmp_path / "cols.xlsx", [("Week", typed(rows), "visible")])
    outcome = ingest_one(settings, path)
    assert outcome.status == "quarantined"
    assert (outcome.reason or "").startswith("sheet 'Week': missing required column 'members_paid'")


def test_a_refusal_names_the_sheet_read(settings: Settings, tmp_path: Path):
    rows = baseline_rows()
    rows[5][1] = "Atlantis"
    path = write_xlsx(
        tmp_path / "bad.xlsx", [("x", [["a"]], "hidden"), ("Week 12", typed(rows), "visible")]
    )
    outcome = ingest_one(settings, path)
    assert outcome.status == "quarantined"
    assert (outcome.reason or "").startswith("sheet 'Week 12': line 6: unknown district 'Atlantis'")
    assert ledger_sheet(settings) == "Week 12"


@pytest.mark.parametrize(
    ("date1904", "serial"),
    [(False, 45009), (True, 45009 - 1462), (False, 45009.0)],
    ids=["1900-system", "1904-system", "float-serial"],
)
def test_a_date_whose_format_was_lost_is_read_in_the_workbooks_date_system(
    date1904: bool, serial: float, settings: Settings, tmp_path: Path
):
    rows: list[list[object]] = typed(baseline_rows())
    for row in rows[1:]:
        row[0] = serial
    path = write_xlsx(tmp_path / "serial.xlsx", [("S", rows, "visible")], date1904=date1904)
    outcome = ingest_one(settings, path)
    assert outcome.status == "loaded", outcome.reason
    assert landed(settings) == WEEK


def test_datetime_cells_with_a_time_load_as_their_date(settings: Settings, tmp_path: Path):
    rows: list[list[object]] = typed(baseline_rows())
    for row in rows[1:]:
        row[0] = dt.datetime(2023, 3, 24, 16, 30)
    path = write_xlsx(tmp_path / "dt.xlsx", [("S", rows, "visible")])
    assert ingest_one(settings, path).status == "loaded"
    assert landed(settings) == WEEK


def test_a_serial_number_in_a_csv_is_refused_saying_what_it_looks_like(
    settings: Settings, tmp_path: Path
):
    rows = baseline_rows()
    for row in rows[1:]:
        row[0] = "45009"
    path = tmp_path / "serial.csv"
    path.write_text("\n".join(",".join(r) for r in rows) + "\n")
    outcome = ingest_one(settings, path)
    assert outcome.status == "quarantined"
    assert "looks like a spreadsheet date serial number" in (outcome.reason or "")
    assert "lines 2–31" in (outcome.reason or "")


def _with_saved_values(xml: str, values: dict[str, int]) -> str:
    for cell, value in values.items():
        xml = re.sub(
            rf'(<c r="{cell}"[^>]*>)<f>([^<]*)</f><v\s*/>', rf"\1<f>\2</f><v>{value}</v>", xml
        )
    return xml


@pytest.mark.parametrize("label", ["Total", "Igiteranyo", "TOTAL GENERAL"])
def test_formula_total_row_with_saved_values_is_checked_not_stored(
    label: str, settings: Settings, tmp_path: Path
):
    rows: list[list[object]] = typed(baseline_rows())
    rows.append([None, label, "=SUM(C2:C31)", "=SUM(D2:D31)", "=SUM(E2:E31)"])
    path = write_xlsx(tmp_path / "sum.xlsx", [("S", rows, "visible")])
    expected = total_row("", baseline_rows()[1:])
    saved = {"C32": int(expected[2]), "D32": int(expected[3]), "E32": int(expected[4])}
    rewrite_part(path, SHEET1, lambda xml: _with_saved_values(xml, saved))
    outcome = ingest_one(settings, path)
    assert outcome.status == "loaded", outcome.reason
    assert landed(settings) == WEEK


def test_a_saved_formula_total_that_disagrees_is_refused(settings: Settings, tmp_path: Path):
    rows: list[list[object]] = typed(baseline_rows())
    rows.append([None, "Grand Total", "=SUM(C2:C31)", "=SUM(D2:D31)"])
    path = write_xlsx(tmp_path / "sum.xlsx", [("S", rows, "visible")])
    saved = {"C32": TARGET_TOTAL, "D32": MEMBERS_TOTAL + 5}
    rewrite_part(path, SHEET1, lambda xml: _with_saved_values(xml, saved))
    outcome = ingest_one(settings, path)
    assert outcome.status == "quarantined"
    assert "line 32: the national total members_paid 9,963,790 differs" in (outcome.reason or "")


def test_a_formula_without_a_saved_value_is_refused_naming_the_cell(
    settings: Settings, tmp_path: Path
):
    rows: list[list[object]] = typed(baseline_rows())
    rows.append([None, "Total", "=SUM(C2:C31)", "=SUM(D2:D31)"])
    path = write_xlsx(tmp_path / "nocache.xlsx", [("Week", rows, "visible")])
    outcome = ingest_one(settings, path)
    assert outcome.status == "quarantined"
    assert "sheet 'Week', cell C32 holds a formula (=SUM(C2:C31)) without a saved value" in (
        outcome.reason or ""
    )


def test_text_that_would_run_as_a_formula_stays_refused(settings: Settings, tmp_path: Path):
    rows: list[list[object]] = typed(baseline_rows())
    rows[3][1] = '=HYPERLINK("http://evil.example","Ngoma")'  # a text cell, not a formula
    path = write_xlsx(tmp_path / "text.xlsx", [("S", rows, "visible")])
    rewrite_part(  # openpyxl writes text starting with '=' as a formula: make it a string
        path,
        SHEET1,
        lambda xml: re.sub(
            r'<c r="B4"><f>(.*?)</f><v\s*/></c>',
            lambda m: f'<c r="B4" t="inlineStr"><is><t>={m.group(1)}</t></is></c>',
            xml,
        ),
    )
    outcome = ingest_one(settings, path)
    assert outcome.status == "quarantined"
    assert "line 4, column 2 holds a formula or command" in (outcome.reason or "")
