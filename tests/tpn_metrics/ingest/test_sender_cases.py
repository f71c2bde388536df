"""Real senders' files (issue 16): each case of tests/fixtures/ingest/cases/ with its outcome.

Each case folder holds the input file(s) and an EXPECTED text saying what a sender expects; the
outcome asserted here is that expectation. The RSSB cases send the figures of one real week in
other shapes, so each that loads must land the same totals as the baseline.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pytest

from tests.conftest import FIXTURES
from tests.warehouse_state import query
from tpn_metrics.ingest.intake import ingest_paths
from tpn_metrics.settings import Settings

CASES = FIXTURES / "ingest" / "cases"
TODAY = dt.date(2026, 11, 23)
TARGET_TOTAL = 11_653_044
MEMBERS_TOTAL = 9_963_785

# case → (status, report date loaded, what the reason or the warnings must say)
RSSB_CASES = {
    "rssb-baseline": ("loaded", "2023-03-24", None),
    "date-month-name": ("loaded", "2023-03-24", None),
    "footnote-rows": ("loaded", "2023-03-24", "footnote row(s) not loaded as data"),
    "total-row-without-date": ("loaded", "2023-03-24", None),
    "xlsx-date-as-number": ("loaded", "2023-03-24", None),
    "xlsx-hidden-first-sheet": ("loaded", "2023-03-24", None),
    "xlsx-stale-dimension": ("loaded", "2023-03-24", None),
    "xlsx-total-row-formulas": ("loaded", "2023-03-24", None),
    # Month-first 04/07/2023 is Friday 7 April; day-first it is a Tuesday in the next FY.
    "date-day-month-ambiguous": ("loaded", "2023-04-07", "read month-first as Friday 2023-04-07"),
}


def inputs(case: str) -> list[Path]:
    return sorted(p for p in (CASES / case).iterdir() if p.name != "EXPECTED")


def test_every_case_folder_has_an_input_and_its_expectation():
    folders = sorted(p.name for p in CASES.iterdir() if p.is_dir())
    assert len(folders) >= 12
    for name in folders:
        assert (CASES / name / "EXPECTED").read_text().strip(), name
        assert inputs(name), name
    assert set(RSSB_CASES) | {
        "hospital-historic-name",
        "registry-no-pairs-yet",
        "resent-week-partial",
    } == set(folders)


@pytest.mark.parametrize("case", sorted(RSSB_CASES))
def test_rssb_case_loads_the_weeks_figures(case: str, settings: Settings):
    status, report_date, said = RSSB_CASES[case]
    (outcome,) = ingest_paths(inputs(case), settings, today=TODAY)
    assert outcome.status == status, outcome.reason
    assert outcome.period_key == report_date
    assert outcome.rows == 30
    ((districts, target, members, day),) = query(
        settings,
        "select count(*), sum(target_population), sum(members_paid), any_value(report_date) "
        "from landing.rssb_weekly where not is_superseded",
    )
    assert (districts, day.isoformat()) == (30, report_date)
    if case != "date-day-month-ambiguous":  # that case stands for another week's figures
        assert (target, members) == (TARGET_TOTAL, MEMBERS_TOTAL)
    if said:
        assert any(said in w for w in outcome.warnings), outcome.warnings


def test_xlsx_cases_name_the_sheet_read_in_the_ledger(settings: Settings):
    ingest_paths(inputs("xlsx-hidden-first-sheet"), settings, today=TODAY)
    assert query(settings, "select xlsx_sheet from landing.file_ledger") == [("CBHI 24.03.2023",)]


def test_historic_hospital_name_resolves_in_its_district_to_chub(settings: Settings):
    (outcome,) = ingest_paths(inputs("hospital-historic-name"), settings, today=TODAY)
    assert outcome.status == "loaded", outcome.reason
    assert outcome.warnings == ()
    assert query(
        settings,
        "select hospital_name_received, hospital_id, district_id "
        "from landing.accreditation_results order by hospital_id",
    ) == [
        ("Butare Hospital", "chub", "huye"),
        ("Kabutare Hospital", "kabutare", "huye"),
        ("Nyamata Hospital", "nyamata", "bugesera"),
    ]


def test_registry_without_pairs_loads_with_zero_pairs(settings: Settings):
    (outcome,) = ingest_paths(inputs("registry-no-pairs-yet"), settings, today=TODAY)
    assert outcome.status == "loaded", outcome.reason
    counts = query(
        settings,
        "select (select count(*) from landing.tpn_institutions), "
        "(select count(*) from landing.tpn_priorities), (select count(*) from landing.tpn_pairs)",
    )[0]
    assert counts[0] > 0 and counts[1] > 0 and counts[2] == 0


def test_partial_resubmission_is_quarantined_naming_the_lacking_districts(settings: Settings):
    (first,) = ingest_paths(inputs("rssb-baseline"), settings, today=TODAY)
    assert first.status == "loaded"
    (resent,) = ingest_paths(inputs("resent-week-partial"), settings, today=TODAY)
    assert resent.status == "quarantined"
    assert "lacks 26 of its districts" in (resent.reason or "")
    for district in ("Gatsibo", "Huye", "Rwamagana", "Nyarugenge"):
        assert district in (resent.reason or "")
    # The week keeps its 30 districts and the baseline's figures.
    assert query(
        settings,
        "select count(*), sum(members_paid) from landing.rssb_weekly where not is_superseded",
    ) == [(30, MEMBERS_TOTAL)]


def test_a_ledger_from_before_the_sheet_column_gains_it(tmp_path: Path):
    from tpn_metrics.warehouse import ensure_landing_schema

    con = duckdb.connect(str(tmp_path / "old.duckdb"))
    con.execute(
        "create schema landing; create table landing.file_ledger (file_sha256 varchar primary "
        "key, file_name varchar not null, kind varchar not null, received_at timestamp not "
        "null, status varchar not null, reason varchar, warnings varchar, row_count integer, "
        "period_key varchar, superseded_by varchar, stored_path varchar not null)"
    )
    ensure_landing_schema(con)
    ensure_landing_schema(con)
    columns = [r[0] for r in con.execute("describe landing.file_ledger").fetchall()]
    # ... then, since issue #21, the delivery time, the RSSB deadline and the backfill mark.
    assert columns[-4:] == ["xlsx_sheet", "delivered_at", "due_at", "is_backfill"]
