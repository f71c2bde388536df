"""Ingestion against real files: accepted variants, refusals with reasons, the landing zone."""

from __future__ import annotations

import datetime as dt
import io
import os
import shutil
import zipfile
from pathlib import Path

import duckdb
import pytest
from openpyxl import Workbook

from tests.warehouse_state import fingerprint
from tpn_metrics.ingest.intake import ingest_paths
from tpn_metrics.settings import Settings

TODAY = dt.date(2026, 11, 23)


def ingest(settings: Settings, *paths: Path):
    return ingest_paths(list(paths), settings, today=TODAY)


def rows(settings: Settings, sql: str) -> list[tuple]:
    con = duckdb.connect(str(settings.warehouse_path), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


@pytest.fixture(scope="module")
def loaded_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A warehouse holding one good week, one accreditation year and a registry."""
    from tests.conftest import FIXTURES

    home = tmp_path_factory.mktemp("loaded") / "home"
    good = FIXTURES / "ingest" / "good"
    outcomes = ingest(
        Settings(home=home),
        good / "rssb_2023-03-24_canonical.csv",
        good / "accreditation_2023_percent.csv",
        good / "registry",
    )
    assert [o.status for o in outcomes] == ["loaded", "loaded", "loaded"], outcomes
    return home


@pytest.fixture
def loaded(loaded_template: Path, tmp_path: Path) -> Settings:
    """A private copy of the loaded warehouse for one test."""
    home = tmp_path / "loaded_home"
    shutil.copytree(loaded_template, home)
    return Settings(home=home)


def test_canonical_week_loads_30_districts_and_checks_the_total(loaded: Settings):
    assert rows(
        loaded, "select count(*), count(distinct district_id) from landing.rssb_weekly"
    ) == [(30, 30)]
    # The national total row is a check, not a district.
    assert rows(loaded, "select count(*) from landing.rssb_weekly where district_id = 'total'") == [
        (0,)
    ]


def test_semicolon_bom_alias_headers_and_day_first_dates(settings: Settings, fixtures: Path):
    (outcome,) = ingest(
        settings, fixtures / "ingest/good/rssb_2023-03-31_semicolon_bom_aliases.csv"
    )
    assert outcome.status == "loaded", outcome.reason
    assert outcome.period_key == "2023-03-31"
    # "BUGESERA DISTRICT" resolved, decimal-comma coverage read as a percentage.
    ((members, coverage),) = rows(
        settings,
        "select members_paid, coverage_rate_pct from landing.rssb_weekly "
        "where district_id = 'bugesera'",
    )
    assert members == 347_694
    assert coverage == pytest.approx(70.1)


def test_xlsx_with_title_rows_and_aliases(settings: Settings, tmp_path: Path):
    book = Workbook()
    sheet = book.active
    sheet.append(["RSSB — CBHI weekly progress"])
    sheet.append(["Report as of 24/03/2023"])
    sheet.append([])
    sheet.append(["Date", "District name", "Target", "Members", "Households"])
    sheet.append([dt.datetime(2023, 3, 24), "Gasabo District", 700_000, 560_000.0, 130_000])
    sheet.append([dt.datetime(2023, 3, 24), "NYARUGENGE", 300_000, 250_000, 58_000])
    path = tmp_path / "cbhi weekly 24.03.2023.xlsx"
    book.save(path)
    (outcome,) = ingest(settings, path)
    assert outcome.status == "loaded", outcome.reason
    assert outcome.rows == 2
    assert "28 of 30 districts missing" in outcome.warnings[0]
    assert rows(settings, "select sum(members_paid) from landing.rssb_weekly") == [(810_000,)]


def test_same_content_twice_is_a_no_op(loaded: Settings, fixtures: Path):
    before = fingerprint(loaded.warehouse_path)
    ledger_before = rows(loaded, "select * from landing.file_ledger order by all")
    copy = loaded.home / "renamed copy.csv"
    shutil.copyfile(fixtures / "ingest/good/rssb_2023-03-24_canonical.csv", copy)
    (outcome,) = ingest(loaded, copy)
    assert outcome.status == "duplicate"
    assert fingerprint(loaded.warehouse_path) == before
    assert rows(loaded, "select * from landing.file_ledger order by all") == ledger_before


def test_corrected_resubmission_supersedes_with_an_audit_trail(loaded: Settings, fixtures: Path):
    (outcome,) = ingest(loaded, fixtures / "ingest/good/rssb_2023-03-24_resubmitted.csv")
    assert outcome.status == "loaded"
    assert outcome.superseded is not None
    ledger = dict(
        rows(
            loaded,
            "select status, superseded_by from landing.file_ledger where kind = 'rssb_weekly'",
        )
    )
    assert ledger["superseded"] == outcome.file_sha256
    # Both versions stay on record; only the new one is current.
    assert rows(
        loaded,
        "select is_superseded, count(*) from landing.rssb_weekly group by all order by all",
    ) == [(False, 30), (True, 30)]


def test_accreditation_fractions_are_recorded_and_scaled(settings: Settings, fixtures: Path):
    (outcome,) = ingest(settings, fixtures / "ingest/good/accreditation_2022_fractions.csv")
    assert outcome.status == "loaded", outcome.reason
    ((scale, level_2),) = rows(
        settings,
        "select score_scale, level_2_score_pct from landing.accreditation_results "
        "where hospital_id = 'kibagabaga'",
    )
    assert scale == "fraction"
    assert level_2 == pytest.approx(71.2)


def test_week_on_week_drop_is_accepted_and_flagged(settings: Settings, fixtures: Path):
    good = fixtures / "ingest/good"
    ingest(settings, good / "rssb_2023-03-24_canonical.csv")
    (outcome,) = ingest(settings, good / "rssb_2023-04-14_correction_drop.csv")
    assert outcome.status == "loaded"
    assert any("fell from" in w and "RSSB correction" in w for w in outcome.warnings)


def test_drop_folder_loads_weeks_in_date_order_whatever_the_names(
    settings: Settings, fixtures: Path
):
    drop = settings.home / "drop"
    drop.mkdir(parents=True)
    good = fixtures / "ingest/good"
    shutil.copyfile(good / "rssb_2023-04-14_correction_drop.csv", drop / "a.csv")
    shutil.copyfile(good / "rssb_2023-03-24_canonical.csv", drop / "b.csv")
    outcomes = ingest(settings, drop)
    assert [o.period_key for o in outcomes] == ["2023-03-24", "2023-04-14"]
    assert any("fell from" in w for w in outcomes[1].warnings)


def test_progress_is_reported_while_files_are_validated_not_only_when_loaded(
    loaded: Settings, fixtures: Path
):
    """A backfill spends most of its time validating; on_checked reports that pass, file by
    file, before any file of the second pass (loading) is reported."""
    events: list[tuple[str, str]] = []
    good = fixtures / "ingest/good"
    paths = [
        good / "rssb_2023-04-14_correction_drop.csv",
        good / "rssb_2023-03-24_canonical.csv",  # already in `loaded`: a duplicate
        fixtures / "ingest/bad/rssb_duplicate_district.csv",
        good / "accreditation_2022_fractions.csv",
    ]
    outcomes = ingest_paths(
        paths,
        loaded,
        today=TODAY,
        on_progress=lambda outcome: events.append(("done", outcome.status)),
        on_checked=lambda name: events.append(("checked", name)),
    )
    by_name = {o.file_name: o.status for o in outcomes}
    assert by_name == {
        "rssb_2023-04-14_correction_drop.csv": "loaded",
        "rssb_2023-03-24_canonical.csv": "duplicate",
        "rssb_duplicate_district.csv": "quarantined",
        "accreditation_2022_fractions.csv": "loaded",
    }
    second_pass = [("done", o.status) for o in outcomes if o.status != "duplicate"]
    assert events == [
        ("checked", "rssb_2023-04-14_correction_drop.csv"),
        ("done", "duplicate"),
        ("checked", "rssb_duplicate_district.csv"),
        ("checked", "accreditation_2022_fractions.csv"),
        *second_pass,
    ]
    assert len(second_pass) == 3


BAD_FILES = {
    "rssb_duplicate_district.csv": "district 'Ngoma' appears more than once",
    "rssb_members_over_limit.csv": "members_paid 1,204,311 exceeds 1.5 × target (700,000)",
    "rssb_future_date.csv": "report_date 2031-01-03 is in the future",
    "rssb_unknown_district.csv": "unknown district 'Kigali Nord' (closest known:",
    "rssb_negative_members.csv": "members_paid -150 for",
    "rssb_decimal_count.csv": "has decimals, but counts must be whole numbers",
    "rssb_non_numeric_target.csv": "'about 300k' is not a whole number",
    "rssb_missing_members_column.csv": "missing required column 'members_paid' (also accepted:",
    "rssb_header_only.csv": "header but no district rows",
    "rssb_not_a_date.csv": "'Friday' is not a date",
    "rssb_mixed_report_dates.csv": "the file mixes 2 report dates",
    "rssb_total_mismatch.csv": "the national total members_paid",
    "rssb_coverage_inconsistent.csv": "does not match members_paid / target_population",
    "rssb_latin1_encoding.csv": "is not UTF-8",
    "rssb_formula_injection.csv": "holds a formula or command",
    "binary_junk.csv": "binary",
    "empty.csv": "the file is empty",
    "not_an_input.csv": "not a recognised input",
    "accreditation_score_over_100.csv": (
        "level_2_score 106.0 for Nyamata District Hospital is outside 0–100"
    ),
    "accreditation_mixed_scales.csv": "scores mix fractions",
    "accreditation_duplicate_hospital.csv": "hospital 'Kibagabaga Hospital' appears more than once",
    "accreditation_unknown_hospital.csv": (
        "unknown hospital 'Kibagabga Clinic' (closest known: 'Kibagabaga Hospital'"
    ),
    "accreditation_two_years.csv": "mixes 2 survey years",
}


@pytest.mark.parametrize(("name", "reason"), sorted(BAD_FILES.items()))
def test_bad_file_is_quarantined_and_changes_no_table(
    loaded: Settings, fixtures: Path, name: str, reason: str
):
    before = fingerprint(loaded.warehouse_path)
    (outcome,) = ingest(loaded, fixtures / "ingest/bad" / name)
    assert outcome.status == "quarantined"
    assert reason in (outcome.reason or ""), outcome.reason
    assert fingerprint(loaded.warehouse_path) == before
    ((status, recorded),) = rows(
        loaded,
        "select status, reason from landing.file_ledger "
        f"where file_sha256 = '{outcome.file_sha256}'",
    )
    assert status == "quarantined"
    assert reason in recorded
    # Kept, unchanged, by content hash.
    stored = next(loaded.landing_store.glob(f"*/{outcome.file_sha256}*"))
    assert stored.read_bytes() == (fixtures / "ingest/bad" / name).read_bytes()


def test_every_bad_fixture_has_an_expected_reason(fixtures: Path):
    assert sorted(p.name for p in (fixtures / "ingest/bad").iterdir()) == sorted(BAD_FILES)


def _write_registry(tmp: Path, fixtures: Path, edit: dict[str, str]) -> Path:
    folder = tmp / "registry"
    shutil.copytree(fixtures / "ingest/good/registry", folder)
    for name, extra in edit.items():
        with (folder / name).open("a") as handle:
            handle.write(extra)
    return folder


@pytest.mark.parametrize(
    ("edit", "reason"),
    [
        (
            {"pairs.csv": "DHMT-GASABO,DHMT-GASABO,cbhi_enrollment,2021-04-01,\n"},
            "paired with itself",
        ),
        (
            {"pairs.csv": "DHMT-GASABO,DHMT-NOWHERE,cbhi_enrollment,2021-04-01,\n"},
            "institution 'DHMT-NOWHERE' is not in institutions",
        ),
        (
            {"institutions.csv": "DHMT-HUYE,Huye again,district,Huye,,true,\n"},
            "institution_id 'DHMT-HUYE' appears more than once",
        ),
        ({"priorities.csv": "DHMT-HUYE,accreditation,2,\n"}, "lists topic 'accreditation' twice"),
        ({"events.csv": "2021-07-01,party,,DHMT-HUYE\n"}, "kind 'party' is not one of"),
        (
            {"institutions.csv": "HOSP-X,Nowhere General,hospital,Huye,district,true,\n"},
            "unknown hospital 'Nowhere General'",
        ),
    ],
)
def test_bad_registry_is_quarantined(
    loaded: Settings, fixtures: Path, tmp_path: Path, edit: dict[str, str], reason: str
):
    before = fingerprint(loaded.warehouse_path)
    (outcome,) = ingest(loaded, _write_registry(tmp_path, fixtures, edit))
    assert outcome.status == "quarantined"
    assert reason in (outcome.reason or ""), outcome.reason
    assert fingerprint(loaded.warehouse_path) == before


def test_registry_as_one_workbook(settings: Settings, fixtures: Path, tmp_path: Path):
    book = Workbook()
    book.remove(book.active)
    for name in ("institutions", "priorities", "strengths", "pairs", "events"):
        sheet = book.create_sheet(name)
        for line in (fixtures / "ingest/good/registry" / f"{name}.csv").read_text().splitlines():
            sheet.append(line.split(","))
    path = tmp_path / "tpn registry.xlsx"
    book.save(path)
    (outcome,) = ingest(settings, path)
    assert outcome.status == "loaded", outcome.reason
    assert rows(settings, "select count(*) from landing.tpn_institutions") == [(5,)]


def test_zip_bomb_xlsx_is_refused(loaded: Settings, tmp_path: Path):
    path = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"0" * (150 * 1024 * 1024))
    assert path.stat().st_size < 1024 * 1024
    before = fingerprint(loaded.warehouse_path)
    (outcome,) = ingest(loaded, path)
    assert outcome.status == "quarantined"
    assert "zip bomb" in (outcome.reason or "")
    assert fingerprint(loaded.warehouse_path) == before


def test_truncated_xlsx_is_refused(loaded: Settings, tmp_path: Path):
    book = Workbook()
    book.active.append(["report_date", "district", "target_population", "members_paid"])
    buffer = io.BytesIO()
    book.save(buffer)
    path = tmp_path / "cut.xlsx"
    path.write_bytes(buffer.getvalue()[:1500])
    (outcome,) = ingest(loaded, path)
    assert outcome.status == "quarantined"
    assert "damaged or truncated" in (outcome.reason or "")


def test_formula_cell_in_xlsx_is_refused(loaded: Settings, tmp_path: Path):
    book = Workbook()
    sheet = book.active
    sheet.append(["report_date", "district", "target_population", "members_paid"])
    sheet.append(["2023-03-24", '=HYPERLINK("http://evil.example","Gasabo")', 1000, 900])
    path = tmp_path / "formula.xlsx"
    book.save(path)
    (outcome,) = ingest(loaded, path)
    assert outcome.status == "quarantined"
    assert "formula" in (outcome.reason or "")


def test_oversized_file_is_refused_before_reading(loaded: Settings, tmp_path: Path):
    path = tmp_path / "huge.csv"
    with path.open("wb") as handle:
        handle.write(b"report_date,district,target_population,members_paid\n")
        handle.seek(25 * 1024 * 1024)
        handle.write(b"\n")
    (outcome,) = ingest(loaded, path)
    assert outcome.status == "quarantined"
    assert "MB" in (outcome.reason or "")


def test_path_like_file_names_never_escape_the_store(
    loaded: Settings, fixtures: Path, tmp_path: Path
):
    nested = tmp_path / "..evil" / "..%2F..%2Fetc"
    nested.mkdir(parents=True)
    source = nested / "..%2F..%2Fpasswd.csv"
    shutil.copyfile(fixtures / "ingest/good/rssb_2023-04-07_missing_districts.csv", source)
    (outcome,) = ingest(loaded, source)
    assert outcome.status == "loaded", outcome.reason
    stored = [p for p in loaded.landing_store.rglob("*") if p.is_file()]
    assert all(loaded.landing_store in p.parents for p in stored)
    assert "/" not in outcome.file_name


def test_a_validation_crash_is_not_reported_as_bad_data(
    loaded: Settings, fixtures: Path, monkeypatch: pytest.MonkeyPatch
):
    from tpn_metrics.ingest import validation

    def broken_context(*_: Path) -> object:
        raise RuntimeError("GX store unreadable")

    monkeypatch.setattr(validation, "_context", broken_context)
    before = fingerprint(loaded.warehouse_path)
    (outcome,) = ingest(loaded, fixtures / "ingest/good/rssb_2023-04-07_missing_districts.csv")
    assert outcome.status == "crashed"
    assert "could not run (RuntimeError: GX store unreadable)" in (outcome.reason or "")
    assert fingerprint(loaded.warehouse_path) == before
    # A crashed file is retried on the next run (the crash was not the data's fault).
    monkeypatch.undo()
    (retry,) = ingest(loaded, fixtures / "ingest/good/rssb_2023-04-07_missing_districts.csv")
    assert retry.status == "loaded"


def _tree_digest(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def test_validation_writes_nothing_into_the_committed_gx_context(
    settings: Settings, fixtures: Path
):
    before = _tree_digest(settings.expectations_dir)
    ingest(settings, fixtures / "ingest/good/rssb_2023-03-24_canonical.csv")
    ingest(settings, fixtures / "ingest/bad/rssb_duplicate_district.csv")
    assert _tree_digest(settings.expectations_dir) == before


def test_data_docs_are_built_per_home_and_show_the_failure(tmp_path: Path, fixtures: Path):
    from tpn_metrics.ingest.intake import data_docs_index

    first = Settings(home=tmp_path / "first")
    second = Settings(home=tmp_path / "second")
    ingest(first, fixtures / "ingest/bad/rssb_duplicate_district.csv")
    ingest(second, fixtures / "ingest/good/accreditation_2023_percent.csv")
    assert data_docs_index(first).exists()
    assert data_docs_index(second).exists()
    first_results = list((first.home / "var/gx/validations").rglob("*.json"))
    second_results = list((second.home / "var/gx/validations").rglob("*.json"))
    assert any("rssb_weekly" in str(p) for p in first_results)
    assert not any("rssb_weekly" in str(p) for p in second_results)
    pages = " ".join(p.read_text() for p in (first.home / "var/gx/docs").rglob("*.html"))
    assert "rssb_weekly__suite" in pages


# --- What the ledger records for the data-quality review (issue #21) -------------------------

UTC = dt.UTC


def _dropped(fixtures: Path, folder: Path, name: str, modified: dt.datetime) -> Path:
    """Copy a fixture into a drop folder with the given modification time (aware)."""
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / name
    shutil.copyfile(fixtures / "ingest" / "good" / name, target)
    stamp = modified.timestamp()
    os.utime(target, (stamp, stamp))
    return target


def _ledger_times(settings: Settings) -> dict[str, tuple]:
    return {
        kind: (delivered, due, backfill)
        for kind, delivered, due, backfill in rows(
            settings, "select kind, delivered_at, due_at, is_backfill from landing.file_ledger"
        )
    }


def test_ledger_records_delivery_time_deadline_and_not_a_backfill(
    settings: Settings, fixtures: Path, tmp_path: Path
):
    friday_evening = dt.datetime(2023, 3, 24, 17, 30, tzinfo=UTC)  # 19:30 in Kigali
    rssb = _dropped(fixtures, tmp_path / "drop", "rssb_2023-03-24_canonical.csv", friday_evening)
    survey = _dropped(fixtures, tmp_path / "drop", "accreditation_2023_percent.csv", friday_evening)
    assert [o.status for o in ingest(settings, rssb, survey)] == ["loaded", "loaded"]
    times = _ledger_times(settings)
    # The RSSB week's deadline: Saturday 12:00 Africa/Kigali = 10:00 UTC (lateness.py).
    assert times["rssb_weekly"] == (
        dt.datetime(2023, 3, 24, 17, 30),
        dt.datetime(2023, 3, 25, 10, 0),
        False,
    )
    # Only RSSB weeks have a deadline.
    assert times["accreditation"] == (dt.datetime(2023, 3, 24, 17, 30), None, False)


def test_backfill_marks_the_ledger_and_the_deadline_follows_the_setting(
    tmp_path: Path, fixtures: Path
):
    settings = Settings(home=tmp_path / "home", rssb_deadline="Friday 23:00")
    rssb = _dropped(
        fixtures,
        tmp_path / "drop",
        "rssb_2023-03-24_canonical.csv",
        dt.datetime(2023, 3, 27, 8, 0, tzinfo=UTC),
    )
    (outcome,) = ingest_paths([rssb], settings, today=TODAY, backfill=True)
    assert outcome.status == "loaded"
    # Friday 23:00 in Kigali (UTC+2) is 21:00 UTC.
    assert _ledger_times(settings)["rssb_weekly"] == (
        dt.datetime(2023, 3, 27, 8, 0),
        dt.datetime(2023, 3, 24, 21, 0),
        True,
    )


def test_delivery_time_is_never_after_the_receipt(settings: Settings, fixtures: Path, tmp_path):
    future = dt.datetime.now(UTC) + dt.timedelta(days=3)  # a sender's clock ahead of ours
    rssb = _dropped(fixtures, tmp_path / "drop", "rssb_2023-03-24_canonical.csv", future)
    ingest(settings, rssb)
    ((delivered, received),) = rows(
        settings, "select delivered_at, received_at from landing.file_ledger"
    )
    assert delivered == received


def test_refused_file_records_its_delivery_but_no_deadline(
    settings: Settings, fixtures: Path, tmp_path: Path
):
    bad = tmp_path / "drop" / "rssb_broken.csv"
    bad.parent.mkdir(parents=True)
    bad.write_text("report_date,district\n2023-03-24,Nowhere\n", encoding="utf-8")
    stamp = dt.datetime(2023, 3, 24, 16, 0, tzinfo=UTC).timestamp()
    os.utime(bad, (stamp, stamp))
    (outcome,) = ingest(settings, bad)
    assert outcome.status == "quarantined"
    assert rows(settings, "select delivered_at, due_at, is_backfill from landing.file_ledger") == [
        (dt.datetime(2023, 3, 24, 16, 0), None, False)
    ]


# DHIS2 exports (issue #22). Fixtures: tests/fixtures/ingest/dhis2/, written to the shapes of
# dhis2/dhis2-docs src/developer/web-api/analytics.md § "Response formats" and data.md
# § "Reading data values" (see tests/tpn_metrics/ingest/test_dhis2.py).


def test_a_dhis2_export_lands_its_values_and_a_ledger_row(loaded: Settings, fixtures: Path):
    (outcome,) = ingest(loaded, fixtures / "ingest/dhis2/analytics_numden_hierarchy.json")
    assert (outcome.status, outcome.kind, outcome.rows, outcome.period_key) == (
        "loaded",
        "dhis2",
        4,
        "202303",
    )
    assert rows(
        loaded,
        "select item_code, org_unit_level, district_id, value, numerator, denominator, "
        "row_number, is_superseded from landing.dhis2_data_values "
        f"where file_sha256 = '{outcome.file_sha256}' order by row_number",
    ) == [
        ("anc1_coverage_pct", "district", "gasabo", 15.6, 412.0, 2637.5, 1, False),
        ("anc1_visits", "health_centre", "gasabo", 57.0, None, None, 2, False),
        ("anc1_visits", "hospital", "gasabo", 88.0, None, None, 3, False),
        ("hmis_reporting_rate_pct", "district", "gasabo", 96.3, 26.0, 27.0, 4, False),
    ]
    assert rows(
        loaded,
        "select distinct source_format, hospital_id from landing.dhis2_data_values "
        "where org_unit_level <> 'hospital'",
    ) == [("analytics_json", None)]  # NULL, not 'nan', for units that are no hospital
    assert rows(
        loaded,
        "select kind, status, row_count, period_key, warnings like '%ouHierarchy%' "
        f"from landing.file_ledger where file_sha256 = '{outcome.file_sha256}'",
    ) == [("dhis2", "loaded", 4, "202303", True)]


def test_dhis2_files_of_the_same_periods_are_both_kept_value_by_value(
    settings: Settings, fixtures: Path
):
    dhis2 = fixtures / "ingest/dhis2"
    first, second = ingest(settings, dhis2 / "analytics.json", dhis2 / "data_value_set.csv")
    assert (first.status, second.status) == ("loaded", "loaded")
    assert first.period_key == second.period_key == "202303..202304"
    assert first.superseded is None and second.superseded is None
    assert rows(
        settings,
        "select source_format, count(*), bool_or(is_superseded) from landing.dhis2_data_values "
        "group by all order by 1",
    ) == [("analytics_json", 4, False), ("data_value_set_csv", 4, False)]


def test_a_bad_dhis2_export_is_quarantined_and_changes_no_table(loaded: Settings, fixtures: Path):
    bad = fixtures / "ingest/dhis2/bad_many.csv"
    before = fingerprint(loaded.warehouse_path)
    (outcome,) = ingest(loaded, bad)
    assert (outcome.status, outcome.kind) == ("quarantined", "dhis2")
    assert "org unit uid Qq1NotThere is not in dhis2_org_units.csv" in (outcome.reason or "")
    assert "value 'abc' is not a number (line 5)" in (outcome.reason or "")
    assert fingerprint(loaded.warehouse_path) == before
    assert rows(
        loaded,
        f"select status from landing.file_ledger where file_sha256 = '{outcome.file_sha256}'",
    ) == [("quarantined",)]
    stored = next(loaded.landing_store.glob(f"*/{outcome.file_sha256}*"))
    assert stored.read_bytes() == bad.read_bytes()


def test_a_json_that_is_no_dhis2_export_is_quarantined(settings: Settings, fixtures: Path):
    (outcome,) = ingest(settings, fixtures / "ingest/dhis2/bad_not_dhis2.json")
    assert outcome.status == "quarantined"
    assert "neither a DHIS2 analytics response" in (outcome.reason or "")


def test_a_resent_dhis2_export_is_a_duplicate(settings: Settings, fixtures: Path, tmp_path: Path):
    export = fixtures / "ingest/dhis2/data_value_set.json"
    (first,) = ingest(settings, export)
    resent = tmp_path / "resent_dataValueSets.json"
    shutil.copyfile(export, resent)
    (again,) = ingest(settings, resent)
    assert (first.status, again.status) == ("loaded", "duplicate")
    assert rows(settings, "select count(*) from landing.dhis2_data_values") == [(4,)]
