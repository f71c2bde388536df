"""Issue 16, kinds 1, 4, 5 and 8 on files we write: empty tables, rows that are not data,
dates as spreadsheets write them, locale numbers and line ends (kind 10: test_sender_problems)."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
from openpyxl import Workbook

from tests.conftest import FIXTURES
from tests.tpn_metrics.ingest.sender_files import (
    MEMBERS_TOTAL,
    PROVINCE_OF,
    TARGET_TOTAL,
    baseline_rows,
    ingest_one,
    total_row,
    write_csv,
)
from tests.warehouse_state import query
from tpn_metrics.ingest.report_dates import DateReading, settle
from tpn_metrics.ingest.row_labels import is_footnote, is_national_total, province_subtotal
from tpn_metrics.names import normalise_name
from tpn_metrics.settings import Settings

REGISTRY = FIXTURES / "ingest" / "good" / "registry"
TOTAL_LABELS = [
    *("Total", "Total:", "TOTAL GENERAL", "Grand Total", "Rwanda", "Rwanda Total", "National"),
    *("Igiteranyo", "Total général", "Total national", "Overall total"),
    *("Total (30 districts)", "Igiteranyo cy'uturere", "Grand-Total"),
]
DATE_TEXTS = [
    *("24-Mar-2023", "24 March 2023", "March 24, 2023", "24-Mar-23", "Friday, 24 March 2023"),
    *("24 mars 2023", "2023-03-24 00:00:00", "24/03/2023", "24.03.2023", "2023/03/24"),
    *("24th March 2023", "Fri, 24 Mar 2023", "2023-03-24T00:00:00Z", "24/03/2023 08:30"),
]


def week(settings: Settings) -> list[tuple]:
    return query(
        settings,
        "select count(*), sum(target_population), sum(members_paid), any_value(report_date) "
        "from landing.rssb_weekly where not is_superseded",
    )


def with_dates(text: str) -> list[list[str]]:
    rows = baseline_rows()
    for row in rows[1:]:
        row[0] = text
    return rows


# --- kind 1: empty tables ------------------------------------------------------------------


@pytest.mark.parametrize(
    "emptied",
    [("pairs",), ("priorities",), ("strengths",), ("events",), ("pairs", "strengths", "events")],
)
def test_a_registry_table_with_only_its_header_loads_as_zero_rows(
    emptied: tuple[str, ...], settings: Settings, tmp_path: Path
):
    registry = tmp_path / "registry"
    shutil.copytree(REGISTRY, registry)
    for name in emptied:
        header = (registry / f"{name}.csv").read_text().splitlines()[0]
        (registry / f"{name}.csv").write_text(header + "\n")
    outcome = ingest_one(settings, registry)
    assert outcome.status == "loaded", outcome.reason
    for name in emptied:
        assert query(settings, f"select count(*) from landing.tpn_{name}") == [(0,)]
    assert query(settings, "select count(*) > 0 from landing.tpn_institutions") == [(True,)]


def test_an_xlsx_registry_with_header_only_sheets_loads(settings: Settings, tmp_path: Path):
    workbook = Workbook()
    workbook.remove(workbook.active)
    for name in ("institutions", "priorities", "strengths", "pairs", "events"):
        sheet = workbook.create_sheet(name)
        lines = (REGISTRY / f"{name}.csv").read_text().splitlines()
        keep = lines if name == "institutions" else lines[:1]
        for line in keep:
            # joined_on 2021-03-15 as the serial number a lost date format leaves (1900 system)
            sheet.append([44270 if c == "2021-03-15" else c for c in line.split(",")])
    workbook.save(tmp_path / "registry.xlsx")
    outcome = ingest_one(settings, tmp_path / "registry.xlsx")
    assert outcome.status == "loaded", outcome.reason
    assert query(settings, "select count(*) from landing.tpn_pairs") == [(0,)]
    assert query(settings, "select min(joined_on) from landing.tpn_institutions") == [
        (dt.date(2021, 3, 15),)
    ]


# --- kind 4: rows that are not data --------------------------------------------------------


@pytest.mark.parametrize(
    "label",
    [
        "Total",
        "Total:",
        "TOTAL GENERAL",
        "Grand Total",
        "Rwanda",
        "Rwanda Total",
        "National",
        "Igiteranyo",
        "Total général",
        "Total national",
        "Overall total",
    ],
)
@pytest.mark.parametrize("dated", [False, True])
def test_national_total_labels_are_checked_not_stored(
    label: str, dated: bool, settings: Settings, tmp_path: Path
):
    rows = baseline_rows()
    rows.append(total_row(label, rows[1:], date="2023-03-24" if dated else ""))
    outcome = ingest_one(settings, write_csv(tmp_path / "t.csv", rows))
    assert outcome.status == "loaded", outcome.reason
    assert week(settings) == [(30, TARGET_TOTAL, MEMBERS_TOTAL, dt.date(2023, 3, 24))]


def test_a_total_row_with_only_some_counts_checks_those(settings: Settings, tmp_path: Path):
    rows = baseline_rows()
    total = total_row("Total", rows[1:])
    total[2] = ""  # no target total: only members and households are checked
    rows.append(total)
    outcome = ingest_one(settings, write_csv(tmp_path / "t.csv", rows))
    assert outcome.status == "loaded", outcome.reason


def test_a_wrong_national_total_is_refused(settings: Settings, tmp_path: Path):
    rows = baseline_rows()
    total = total_row("Igiteranyo", rows[1:])
    total[3] = str(MEMBERS_TOTAL + 1)
    rows.append(total)
    outcome = ingest_one(settings, write_csv(tmp_path / "t.csv", rows))
    assert outcome.status == "quarantined"
    assert "line 32: the national total members_paid 9,963,786 differs from the sum" in (
        outcome.reason or ""
    )


def _with_subtotals(labels: dict[str, str], *, blank_lines: bool = False) -> list[list[str]]:
    """The districts grouped by province, each group followed by its subtotal row."""
    header, *districts = baseline_rows()
    out = [header]
    for province, label in labels.items():
        group = [r for r in districts if PROVINCE_OF[normalise_name(r[1])] == province]
        out.extend(group)
        out.append(total_row(label, group))
        if blank_lines:
            out.append([""] * 7)
    return out


@pytest.mark.parametrize(
    "labels",
    [
        {
            "Kigali City": "Kigali City",
            "Northern": "Northern Province",
            "Southern": "Southern",
            "Eastern": "Eastern Province Total",
            "Western": "West",
        },
        {
            "Kigali City": "Umujyi wa Kigali",
            "Northern": "Amajyaruguru",
            "Southern": "Intara y'Amajyepfo",
            "Eastern": "Iburasirazuba",
            "Western": "Iburengerazuba",
        },
        {
            "Kigali City": "Ville de Kigali",
            "Northern": "Nord",
            "Southern": "Province du Sud",
            "Eastern": "Est",
            "Western": "Province de l'Ouest",
        },
    ],
    ids=["english", "kinyarwanda", "french"],
)
def test_province_subtotals_are_checked_against_their_districts_and_not_stored(
    labels: dict[str, str], settings: Settings, tmp_path: Path
):
    rows = _with_subtotals(labels, blank_lines=True)
    rows.append(total_row("TOTAL", baseline_rows()[1:]))
    outcome = ingest_one(settings, write_csv(tmp_path / "p.csv", rows))
    assert outcome.status == "loaded", outcome.reason
    assert week(settings) == [(30, TARGET_TOTAL, MEMBERS_TOTAL, dt.date(2023, 3, 24))]


def test_a_wrong_province_subtotal_is_refused_naming_it(settings: Settings, tmp_path: Path):
    labels = {p: p for p in ("Kigali City", "Northern", "Southern", "Eastern", "Western")}
    rows = _with_subtotals(labels)
    eastern = next(i for i, r in enumerate(rows) if r[1] == "Eastern")
    rows[eastern][2] = str(int(rows[eastern][2]) + 10)
    outcome = ingest_one(settings, write_csv(tmp_path / "p.csv", rows))
    assert outcome.status == "quarantined"
    assert "the Eastern subtotal ('Eastern') target_population" in (outcome.reason or "")


@pytest.mark.parametrize(
    "notes",
    [
        ["Note: provisional figures"],
        ["N.B. Gasabo includes late payments"],
        ["* provisional", "Sources: RSSB"],
        ["Icyitonderwa: imibare y'agateganyo"],
        ["Prepared by: RSSB CBHI division", "(1) provisional figures"],
    ],
)
def test_footnotes_after_the_data_are_a_warning_not_data(
    notes: list[str], settings: Settings, tmp_path: Path
):
    rows = [*baseline_rows(), [""] * 7, *([n] for n in notes)]
    outcome = ingest_one(settings, write_csv(tmp_path / "f.csv", rows))
    assert outcome.status == "loaded", outcome.reason
    assert any(f"{len(notes)} footnote row(s) not loaded as data" in w for w in outcome.warnings)
    assert week(settings)[0][0] == 30


def test_the_label_list_is_one_place():
    assert is_national_total("GRAND TOTAL:")
    assert not is_national_total("Total Eastern")  # a subtotal, checked against the East
    assert not is_national_total("Gasabo")
    assert province_subtotal("Sub-total: Iburasirazuba") == "Eastern"
    assert province_subtotal("Kigali City Total") == "Kigali City"
    assert province_subtotal("Nyarugenge") is None
    assert is_footnote(["", "NB: provisional"]) and not is_footnote(["2023-03-24", "Ngoma"])


# --- kind 5: dates as spreadsheets write them ----------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "24-Mar-2023",
        "24 March 2023",
        "March 24, 2023",
        "24-Mar-23",
        "Friday, 24 March 2023",
        "24 mars 2023",
        "2023-03-24 00:00:00",
        "24/03/2023",
        "24.03.2023",
        "2023/03/24",
    ],
)
def test_report_dates_as_spreadsheets_write_them(text: str, settings: Settings, tmp_path: Path):
    outcome = ingest_one(settings, write_csv(tmp_path / "d.csv", with_dates(text)))
    assert outcome.status == "loaded", outcome.reason
    assert outcome.period_key == "2023-03-24"
    assert not any("Friday" in w for w in outcome.warnings)


def test_month_first_friday_is_taken_with_a_warning_naming_both(settings: Settings, tmp_path: Path):
    # 03/02/2023: day-first Friday 3 February. 02/03/2023 read day-first is Thursday 2 March;
    # month-first it is Friday 3 February.
    outcome = ingest_one(settings, write_csv(tmp_path / "d.csv", with_dates("02/03/2023")))
    assert outcome.status == "loaded", outcome.reason
    assert outcome.period_key == "2023-02-03"
    (warning,) = [w for w in outcome.warnings if "month-first" in w]
    assert "Friday 2023-02-03" in warning and "Thursday 2023-03-02" in warning


def test_no_friday_and_two_fiscal_years_is_refused_naming_both(settings: Settings, tmp_path: Path):
    outcome = ingest_one(settings, write_csv(tmp_path / "d.csv", with_dates("03/07/2023")))
    assert outcome.status == "quarantined"
    reason = outcome.reason or ""
    assert "Monday 2023-07-03 (fiscal year 2023/24)" in reason
    assert "Tuesday 2023-03-07 (fiscal year 2022/23)" in reason


def test_an_unambiguous_non_friday_is_loaded_and_flagged(settings: Settings, tmp_path: Path):
    outcome = ingest_one(settings, write_csv(tmp_path / "d.csv", with_dates("2023-03-23")))
    assert outcome.status == "loaded"
    assert "report_date 2023-03-23 is a Thursday, not a Friday: check the date" in outcome.warnings


def test_settle_keeps_day_first_when_it_is_the_friday():
    reading = DateReading("10/03/2023", dt.date(2023, 3, 10), dt.date(2023, 10, 3))
    assert settle([reading]) == ({"10/03/2023": dt.date(2023, 3, 10)}, [], [])


# --- kind 8: locale numbers and line ends ---------------------------------------------------


def test_semicolon_file_with_dot_thousands_and_decimal_commas(settings: Settings, tmp_path: Path):
    rows = baseline_rows()
    for row in rows[1:]:
        for i in (2, 3, 4, 5):
            row[i] = f"{int(row[i]):,}".replace(",", ".")
        row[6] = row[6].replace(".", ",")
    outcome = ingest_one(settings, write_csv(tmp_path / "eu.csv", rows, delimiter=";"))
    assert outcome.status == "loaded", outcome.reason
    assert week(settings) == [(30, TARGET_TOTAL, MEMBERS_TOTAL, dt.date(2023, 3, 24))]


@pytest.mark.parametrize("line_end", ["\r", "\n", "\r\n"], ids=["cr", "lf", "crlf"])
def test_any_line_end_loads(line_end: str, settings: Settings, tmp_path: Path):
    path = write_csv(tmp_path / "le.csv", baseline_rows(), line_end=line_end)
    outcome = ingest_one(settings, path)
    assert outcome.status == "loaded", outcome.reason
    assert week(settings)[0][:3] == (30, TARGET_TOTAL, MEMBERS_TOTAL)


def test_unquoted_thousands_in_a_comma_file_names_the_likely_cause(
    settings: Settings, tmp_path: Path
):
    lines = [",".join(r) for r in baseline_rows()]
    cells = lines[2].split(",")
    cells[3] = f"{int(cells[3]):,}"  # 285,564 unquoted: one value more than the header
    lines[2] = ",".join(cells)
    (tmp_path / "c.csv").write_text("\n".join(lines) + "\n")
    outcome = ingest_one(settings, tmp_path / "c.csv")
    assert outcome.status == "quarantined"
    assert "(write 1204311, not 1,204,311)" in (outcome.reason or "")


def test_a_total_row_without_any_label_is_recognised_by_its_sums(
    settings: Settings, tmp_path: Path
):
    rows = baseline_rows()
    rows.append(total_row("", rows[1:], date="2023-03-24"))
    outcome = ingest_one(settings, write_csv(tmp_path / "t.csv", rows))
    assert outcome.status == "loaded", outcome.reason
    assert week(settings)[0][0] == 30


def test_a_row_without_district_that_is_not_the_total_is_refused(
    settings: Settings, tmp_path: Path
):
    rows = baseline_rows()
    rows[3][1] = ""
    outcome = ingest_one(settings, write_csv(tmp_path / "t.csv", rows))
    assert outcome.status == "quarantined"
    assert "line 4: district is empty" in (outcome.reason or "")
