"""Issue 16, more cases of kinds 4, 5, 6 and 8 found by trying other senders' variants:
footnotes without a colon, totals labelled '... total', month-first dates that are not dates
day-first, French district names, lines ending in CR, LF and CRLF in one file."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from tests.conftest import FIXTURES
from tests.tpn_metrics.ingest.sender_files import (
    MEMBERS_TOTAL,
    TARGET_TOTAL,
    baseline_rows,
    ingest_one,
    total_row,
    typed,
    write_csv,
    write_xlsx,
)
from tpn_metrics.ingest.row_labels import is_footnote, is_national_total
from tpn_metrics.settings import Settings


def week(settings: Settings) -> tuple:
    con = duckdb.connect(str(settings.warehouse_path), read_only=True)
    try:
        return con.execute(
            "select count(*), sum(target_population), sum(members_paid), "
            "any_value(report_date)::varchar from landing.rssb_weekly where not is_superseded"
        ).fetchone()
    finally:
        con.close()


@pytest.mark.parametrize(
    "note",
    [
        "Notes",
        "N.B provisional",
        "NB provisional figures",
        "Source RSSB CBHI MIS",
        "Prepared by RSSB Planning Unit",
        "Data as at 24/03/2023",
        "As of 24 March 2023",
    ],
)
def test_footnotes_without_a_colon_load_as_a_warning(note: str, settings: Settings, tmp_path):
    path = write_csv(tmp_path / "cbhi.csv", [*baseline_rows(), [], [note, "", "", "", "", "", ""]])
    outcome = ingest_one(settings, path)
    assert outcome.status == "loaded", outcome.reason
    assert any(note in w for w in outcome.warnings)
    assert week(settings) == (30, TARGET_TOTAL, MEMBERS_TOTAL, "2023-03-24")


@pytest.mark.parametrize("text", ["Gasabo", "Nyabihu", "Noteworthy", "Gasabo District", "2023"])
def test_names_and_values_are_not_footnotes(text: str):
    assert not is_footnote([text])


@pytest.mark.parametrize("label", ["Country total", "Total country", "All districts", "RSSB Total"])
def test_labels_ending_in_total_are_the_national_total(label: str, settings: Settings, tmp_path):
    rows = baseline_rows()
    assert is_national_total(label)
    path = write_csv(tmp_path / "cbhi.csv", [*rows, total_row(label, rows[1:])])
    outcome = ingest_one(settings, path)
    assert outcome.status == "loaded", outcome.reason
    assert week(settings) == (30, TARGET_TOTAL, MEMBERS_TOTAL, "2023-03-24")


def test_a_wrong_country_total_is_refused_naming_its_line(settings: Settings, tmp_path: Path):
    rows = baseline_rows()
    total = total_row("Country total", rows[1:])
    total[3] = str(int(total[3]) + 1)
    outcome = ingest_one(settings, write_csv(tmp_path / "cbhi.csv", [*rows, total]))
    assert outcome.status == "quarantined"
    assert "line 32: the national total members_paid" in (outcome.reason or "")


def _dated(text: str) -> list[list[str]]:
    rows = baseline_rows()
    return [rows[0], *[[text, *r[1:]] for r in rows[1:]]]


def test_a_month_first_date_that_is_no_date_day_first_is_read_month_first(
    settings: Settings, tmp_path: Path
):
    outcome = ingest_one(settings, write_csv(tmp_path / "cbhi.csv", _dated("03/24/2023")))
    assert outcome.status == "loaded", outcome.reason
    assert any("read month-first as Friday 2023-03-24" in w for w in outcome.warnings)
    assert week(settings) == (30, TARGET_TOTAL, MEMBERS_TOTAL, "2023-03-24")


def test_a_month_first_only_date_that_is_not_a_friday_is_flagged(
    settings: Settings, tmp_path: Path
):
    outcome = ingest_one(settings, write_csv(tmp_path / "cbhi.csv", _dated("03/21/2023")))
    assert outcome.status == "loaded", outcome.reason
    assert any("2023-03-21 is a Tuesday, not a Friday" in w for w in outcome.warnings)


def test_the_friday_warning_suggests_the_date_it_took(settings: Settings, tmp_path: Path):
    outcome = ingest_one(settings, write_csv(tmp_path / "cbhi.csv", _dated("03/10/2023")))
    assert outcome.status == "loaded", outcome.reason
    (warning,) = [w for w in outcome.warnings if "month-first" in w]
    assert "Friday 2023-03-10" in warning and "write 2023-03-10" in warning


def test_french_district_names_resolve(settings: Settings, tmp_path: Path):
    rows = baseline_rows()
    rows = [rows[0], *[[r[0], f"District de {r[1]}", *r[2:]] for r in rows[1:]]]
    outcome = ingest_one(settings, write_csv(tmp_path / "cbhi.csv", rows))
    assert outcome.status == "loaded", outcome.reason
    assert week(settings) == (30, TARGET_TOTAL, MEMBERS_TOTAL, "2023-03-24")


def test_lines_ending_in_cr_lf_and_crlf_in_one_file_load(settings: Settings, tmp_path: Path):
    lines = [",".join(r) for r in baseline_rows()]
    ends = ["\r\n", "\n", "\r"]
    text = "".join(line + ends[i % 3] for i, line in enumerate(lines))
    path = tmp_path / "cbhi.csv"
    path.write_bytes(text.encode())
    outcome = ingest_one(settings, path)
    assert outcome.status == "loaded", outcome.reason
    assert week(settings) == (30, TARGET_TOTAL, MEMBERS_TOTAL, "2023-03-24")


def test_rows_with_a_bad_date_still_have_their_counts_checked(settings: Settings, tmp_path):
    rows = _dated("someday")
    rows[5][3], rows[6][3] = "-1", "-2"
    outcome = ingest_one(settings, write_csv(tmp_path / "cbhi.csv", rows))
    reason = outcome.reason or ""
    assert outcome.status == "quarantined"
    assert "lines 2–31, report_date: 'someday' is not a date" in reason
    assert "members_paid -1 for Gatsibo is negative (line 6)" in reason
    assert "members_paid -2 for Gicumbi is negative (line 7)" in reason
    assert "coverage_rate" not in reason  # a negative count is not reported twice


ACCREDITATION = FIXTURES / "ingest" / "good" / "accreditation_2023_percent.csv"


@pytest.mark.parametrize(
    ("year_cell", "label"),
    [("2023", "Average"), ("", "National average"), ("2023", "TOTAL"), ("", "Moyenne")],
)
def test_an_accreditation_summary_row_is_not_a_hospital(
    year_cell: str, label: str, settings: Settings, tmp_path: Path
):
    rows = [r.split(",") for r in ACCREDITATION.read_text().splitlines()]
    path = write_csv(tmp_path / "moh.csv", [*rows, [year_cell, label, "", "", "86.1", "70.0", ""]])
    outcome = ingest_one(settings, path)
    assert outcome.status == "loaded", outcome.reason
    assert outcome.rows == len(rows) - 1
    assert any(f"line {len(rows) + 1}: {label}" in w for w in outcome.warnings)


def test_a_summary_label_in_a_real_district_stays_a_hospital_name(
    settings: Settings, tmp_path: Path
):
    rows = [r.split(",") for r in ACCREDITATION.read_text().splitlines()]
    path = write_csv(tmp_path / "moh.csv", [*rows, ["2023", "Average", "Huye", "", "86", "70", ""]])
    outcome = ingest_one(settings, path)
    assert outcome.status == "quarantined"
    assert "unknown hospital 'Average'" in (outcome.reason or "")


def test_a_second_sheet_with_the_same_table_is_named_in_a_warning(
    settings: Settings, tmp_path: Path
):
    rows = typed(baseline_rows())
    path = write_xlsx(
        tmp_path / "cbhi.xlsx",
        [("24.03", rows, "visible"), ("old", rows, "hidden"), ("17.03", rows, "visible")],
    )
    outcome = ingest_one(settings, path)
    assert outcome.status == "loaded", outcome.reason
    assert outcome.sheet == "24.03"
    (warning,) = [w for w in outcome.warnings if "were not read" in w]
    assert "'17.03'" in warning and "'old'" not in warning
    assert week(settings) == (30, TARGET_TOTAL, MEMBERS_TOTAL, "2023-03-24")


@pytest.mark.parametrize("text", ["20230324", "24th of March 2023", "24 de mars 2023"])
def test_more_date_forms_load_as_the_friday(text: str, settings: Settings, tmp_path: Path):
    outcome = ingest_one(settings, write_csv(tmp_path / "cbhi.csv", _dated(text)))
    assert outcome.status == "loaded", outcome.reason
    assert week(settings) == (30, TARGET_TOTAL, MEMBERS_TOTAL, "2023-03-24")


def test_an_eight_digit_date_that_is_not_real_is_refused(settings: Settings, tmp_path: Path):
    outcome = ingest_one(settings, write_csv(tmp_path / "cbhi.csv", _dated("20231324")))
    assert outcome.status == "quarantined"
    assert "'20231324' is not a real date" in (outcome.reason or "")
