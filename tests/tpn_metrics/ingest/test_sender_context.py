"""Issue 16, kinds 6, 9 and 11: names in their district, resubmissions that would lose data,
and quarantine housekeeping (dismiss, replay)."""

from __future__ import annotations

import datetime as dt
import os
import shutil
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from tests.conftest import FIXTURES
from tests.tpn_metrics.ingest.sender_files import baseline_rows, ingest_one, write_csv
from tests.warehouse_state import query
from tpn_metrics.cli import EXIT_QUARANTINED, app
from tpn_metrics.ingest.housekeeping import LedgerLookupError, find_file
from tpn_metrics.ingest.intake import ingest_paths
from tpn_metrics.names import UnknownNameError
from tpn_metrics.reference import district_resolver, resolve_hospital_in_district
from tpn_metrics.settings import Settings

SEEDS = Path(__file__).parents[3] / "dbt_project" / "seeds" / "reference"
HEADER = "survey_year,hospital,district,hospital_category,level_1_score,level_2_score\n"
runner = CliRunner()


# --- kind 6: names in context ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "district_id"),
    [
        ("Butare", "huye"),
        ("Gitarama", "muhanga"),
        ("Kibuye", "karongi"),
        ("Gisenyi", "rubavu"),
        ("Ruhengeri", "musanze"),
        ("Cyangugu", "rusizi"),
        ("Byumba", "gicumbi"),
        ("Kibungo", "ngoma"),
        ("Umutara", "nyagatare"),
        ("Huye (Butare)", "huye"),
        ("Musanze (ex-Ruhengeri)", "musanze"),
        ("Akarere ka Rubavu (Gisenyi)", "rubavu"),
    ],
)
def test_historic_district_names_resolve(written: str, district_id: str):
    assert district_resolver(SEEDS).resolve(written) == district_id


def test_a_bracket_naming_two_districts_is_ambiguous():
    with pytest.raises(UnknownNameError, match="ambiguous"):
        district_resolver(SEEDS).resolve("Huye (Ruhengeri)")


@pytest.mark.parametrize(
    ("hospital", "district", "hospital_id"),
    [
        ("Butare Hospital", "Huye", "chub"),
        ("CHU de Butare", "Butare", "chub"),
        ("Kabgayi Level 2 Teaching Hospital", "Gitarama", "kabgayi"),
        ("Kibungo Level II Teaching Hospital", "Ngoma", "kibungo"),
        ("Ruhengeri L2TH", "Ruhengeri", "ruhengeri"),
        ("Kibagabga Hospital", "Gasabo", "kibagabaga"),  # a typo, within the district
    ],
)
def test_hospitals_resolve_within_their_district(hospital: str, district: str, hospital_id: str):
    district_id = district_resolver(SEEDS).resolve(district)
    assert resolve_hospital_in_district(SEEDS, hospital, district_id) == hospital_id


def test_a_hospital_of_another_district_is_an_error_naming_both(settings: Settings, tmp_path):
    path = tmp_path / "acc.csv"
    path.write_text(
        HEADER + "2024,Kibagabaga Hospital,Kicukiro,district,80,70\n"
        "2024,Butaro Hospital,Huye,district,80,70\n"
    )
    outcome = ingest_one(settings, path)
    assert outcome.status == "quarantined"
    reason = outcome.reason or ""
    assert "line 2: unknown hospital 'Kibagabaga Hospital'" in reason
    assert "hospitals of Kicukiro: 'Legacy Clinics', 'Masaka Hospital'" in reason
    assert "the name matches Kibagabaga Hospital in Gasabo, another district" in reason
    assert "the name matches Butaro Hospital in Burera, another district" in reason


def test_a_registry_hospital_in_the_wrong_district_is_refused(settings: Settings, tmp_path):
    registry = tmp_path / "registry"
    shutil.copytree(FIXTURES / "ingest/good/registry", registry)
    institutions = registry / "institutions.csv"
    lines = institutions.read_text().splitlines()
    row = next(i for i, line in enumerate(lines) if line.startswith("HOSP-KIBAGABAGA,"))
    lines[row] = lines[row].replace(",Gasabo,", ",Nyarugenge,")
    institutions.write_text("\n".join(lines) + "\n")
    outcome = ingest_one(settings, registry)
    assert outcome.status == "quarantined"
    assert "in Gasabo, another district" in (outcome.reason or "")


# --- kind 9: a resubmission never loses data silently ----------------------------------------


def test_a_first_delivery_with_fewer_districts_is_still_accepted(settings: Settings, tmp_path):
    outcome = ingest_one(settings, write_csv(tmp_path / "w.csv", baseline_rows()[:11]))
    assert outcome.status == "loaded"
    assert any("20 of 30 districts missing" in w for w in outcome.warnings)


def test_a_full_resubmission_supersedes_and_a_partial_one_is_refused(settings: Settings, tmp_path):
    rows = baseline_rows()
    assert ingest_one(settings, write_csv(tmp_path / "a.csv", rows)).status == "loaded"
    corrected = [list(r) for r in rows]
    for row in corrected[1:]:
        row[3] = str(int(row[3]) + 1)
        row[6] = ""
    full = ingest_one(settings, write_csv(tmp_path / "b.csv", corrected))
    assert full.status == "loaded" and full.superseded is not None
    partial = ingest_one(settings, write_csv(tmp_path / "c.csv", corrected[:2] + corrected[5:]))
    assert partial.status == "quarantined"
    assert "already loaded from b.csv, but lacks 3 of its districts" in (partial.reason or "")
    assert query(settings, "select count(*) from landing.rssb_weekly where not is_superseded") == [
        (30,)
    ]


def test_an_accreditation_resubmission_lacking_hospitals_is_refused(settings: Settings, tmp_path):
    first = tmp_path / "a.csv"
    first.write_text(
        HEADER + "2024,Nyamata Hospital,Bugesera,district,80,70\n"
        "2024,Kabutare Hospital,Huye,district,70,60\n"
    )
    assert ingest_one(settings, first).status == "loaded"
    second = tmp_path / "b.csv"
    second.write_text(HEADER + "2024,Nyamata Hospital,Bugesera,district,81,71\n")
    outcome = ingest_one(settings, second)
    assert outcome.status == "quarantined"
    assert "lacks 1 of its hospitals: Kabutare Hospital" in (outcome.reason or "")


# --- kind 11: quarantine housekeeping -------------------------------------------------------


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("TPN_HOME", str(tmp_path / "home"))
    return tmp_path / "home"


def _quarantined_sha(home: Path) -> str:
    (row,) = query(
        Settings(home=home), "select file_sha256 from landing.file_ledger where status != 'loaded'"
    )
    return str(row[0])


def test_dismiss_keeps_the_record_and_stops_the_warnings(home: Path, tmp_path: Path):
    wrong = tmp_path / "wrong.csv"
    wrong.write_text(HEADER + "2024,Nowhere Clinic,Huye,district,80,70\n")
    assert runner.invoke(app, ["ingest", str(wrong)]).exit_code == EXIT_QUARANTINED
    sha = _quarantined_sha(home)
    assert "1 file(s) in quarantine: see" in runner.invoke(app, ["status"]).output
    result = runner.invoke(app, ["quarantine", "dismiss", sha[:10], "--reason", "sent by mistake"])
    assert result.exit_code == 0, result.output
    assert query(
        Settings(home=home),
        "select status, reason like '%sent by mistake%' from landing.file_ledger",
    ) == [("dismissed", True)]
    listed = runner.invoke(app, ["quarantine"])
    assert listed.exit_code == 0 and "quarantine is empty (1 dismissed" in listed.output
    status = runner.invoke(app, ["status"])
    assert status.exit_code == 0 and "files in quarantine" in status.output
    assert "in quarantine: see" not in status.output
    # The same bytes again are a duplicate, not a new refusal.
    again = runner.invoke(app, ["ingest", str(wrong)])
    assert again.exit_code == 0 and "duplicate" in again.output


def test_a_file_still_in_quarantine_sent_again_is_refused_again(home: Path, tmp_path: Path):
    """A bad file left in a drop folder must not turn the next run green as a 'duplicate':
    it is refused again (exit 3) with its first reason, and recorded once."""
    wrong = tmp_path / "wrong.csv"
    wrong.write_text(HEADER + "2024,Nowhere Clinic,Huye,district,80,70\n")
    first = runner.invoke(app, ["ingest", str(wrong)])
    assert first.exit_code == EXIT_QUARANTINED
    settings = Settings(home=home)
    before = query(settings, "select * from landing.file_ledger")

    again = runner.invoke(app, ["ingest", str(wrong)])
    assert again.exit_code == EXIT_QUARANTINED, again.output
    assert "duplicate" not in again.output
    (outcome,) = ingest_paths([wrong], settings, today=dt.date(2026, 11, 23))
    assert (outcome.status, outcome.kind) == ("quarantined", "accreditation")
    assert "still in quarantine" in (outcome.reason or "")
    assert "Nowhere Clinic" in (outcome.reason or "")  # the first refusal's reason
    assert query(settings, "select * from landing.file_ledger") == before  # recorded once


@pytest.mark.parametrize(
    ("argument", "says"),
    [
        ("zz", "is not a SHA-256 or a prefix of one"),
        ("abc", "is not a SHA-256 or a prefix of one"),
        ("0000000000", "no received file has a SHA-256 starting with '0000000000'"),
    ],
)
def test_dismiss_and_replay_refuse_unknown_shas_in_one_line(
    argument: str, says: str, home: Path, tmp_path: Path
):
    wrong = tmp_path / "wrong.csv"
    wrong.write_text(HEADER + "2024,Nowhere Clinic,Huye,district,80,70\n")
    runner.invoke(app, ["ingest", str(wrong)])
    for command in (
        ["quarantine", "dismiss", argument, "--reason", "x"],
        ["ingest", "--replay", argument],
    ):
        result = runner.invoke(app, command)
        assert result.exit_code == 2, result.output
        assert says in result.output and "Traceback" not in result.output


def test_a_loaded_file_cannot_be_dismissed_or_replayed(home: Path, tmp_path: Path):
    good = write_csv(tmp_path / "good.csv", baseline_rows())
    assert runner.invoke(app, ["ingest", str(good)]).exit_code == 0
    (sha,) = query(Settings(home=home), "select file_sha256 from landing.file_ledger")[0]
    dismissed = runner.invoke(app, ["quarantine", "dismiss", sha[:8], "--reason", "x"])
    assert dismissed.exit_code == 2 and "is loaded, not in quarantine" in dismissed.output
    replayed = runner.invoke(app, ["ingest", "--replay", sha[:8]])
    assert replayed.exit_code == 2 and "only quarantined, crashed or dismissed" in replayed.output


def test_an_ambiguous_prefix_lists_the_matches(settings: Settings):
    con = duckdb.connect(":memory:")
    con.execute(
        "create schema landing; create table landing.file_ledger (file_sha256 varchar, "
        "file_name varchar, status varchar, reason varchar, stored_path varchar)"
    )
    for prefix, name in (("abcdef01", "a.csv"), ("abcdef02", "b.csv")):
        con.execute(
            "insert into landing.file_ledger values (?, ?, 'quarantined', 'r', 'p')",
            [prefix + "0" * 56, name],
        )
    with pytest.raises(LedgerLookupError, match=r"matches 2 files: abcdef010000 \(a\.csv\)"):
        find_file(con, "abcdef0")
    assert find_file(con, "ABCDEF02").file_name == "b.csv"


def test_replay_loads_a_file_refused_for_a_reason_since_fixed(settings: Settings, tmp_path: Path):
    """A week refused as 'in the future' (a wrong clock) loads when replayed later, under
    its original name, from the landing store's copy."""
    received = write_csv(tmp_path / "cbhi week 12.csv", baseline_rows())
    (first,) = ingest_paths([received], settings, today=dt.date(2023, 3, 20))
    assert first.status == "quarantined" and "in the future" in (first.reason or "")
    received.unlink()  # the sender's copy is gone: the landing store's is used
    (stored,) = query(settings, "select stored_path from landing.file_ledger")[0]
    (again,) = ingest_paths(
        [Path(stored)],
        settings,
        today=dt.date(2023, 3, 27),
        replay={first.file_sha256: first.file_name},
    )
    assert (again.status, again.file_name, again.rows) == ("loaded", "cbhi week 12.csv", 30)
    assert query(settings, "select file_name, status from landing.file_ledger") == [
        ("cbhi week 12.csv", "loaded")
    ]


def test_a_replayed_file_keeps_its_first_delivery_time(settings: Settings, tmp_path: Path):
    """Issue #21: the landing store's copy is new, but the file was delivered when it first
    came; its week's deadline is recorded once it loads."""
    received = write_csv(tmp_path / "cbhi week 12.csv", baseline_rows())
    delivered = dt.datetime(2023, 3, 18, 16, 0, tzinfo=dt.UTC)
    os.utime(received, (delivered.timestamp(), delivered.timestamp()))
    (first,) = ingest_paths([received], settings, today=dt.date(2023, 3, 20))
    assert first.status == "quarantined"
    (stored,) = query(settings, "select stored_path from landing.file_ledger")[0]
    (again,) = ingest_paths(
        [Path(stored)],
        settings,
        today=dt.date(2023, 3, 27),
        replay={first.file_sha256: first.file_name},
    )
    assert again.status == "loaded"
    assert query(settings, "select delivered_at, due_at, is_backfill from landing.file_ledger") == [
        (dt.datetime(2023, 3, 18, 16, 0), dt.datetime(2023, 3, 25, 10, 0), False)
    ]


def test_replay_through_the_cli_reports_the_new_outcome(home: Path, tmp_path: Path):
    wrong = tmp_path / "acc.csv"
    wrong.write_text(HEADER + "2024,Nowhere Clinic,Huye,district,80,70\n")
    runner.invoke(app, ["ingest", str(wrong)])
    sha = _quarantined_sha(home)
    runner.invoke(app, ["quarantine", "dismiss", sha, "--reason", "wrong file"])
    result = runner.invoke(app, ["ingest", "--replay", sha[:12]])
    assert result.exit_code == EXIT_QUARANTINED  # still refused: nothing was fixed
    assert "acc.csv" in result.output and "quarantined" in result.output
    assert query(Settings(home=home), "select status from landing.file_ledger") == [
        ("quarantined",)
    ]


def test_ingest_and_ledger_name_the_sheet_read(home: Path):
    workbook = FIXTURES / "ingest/cases/xlsx-hidden-first-sheet/cbhi.xlsx"
    ingested = runner.invoke(app, ["ingest", str(workbook)])
    assert ingested.exit_code == 0, ingested.output
    assert "sheet 'CBHI 24.03.2023'" in ingested.output
    assert "sheet 'CBHI 24.03.2023'" in runner.invoke(app, ["ledger"]).output
