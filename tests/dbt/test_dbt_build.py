"""dbt build on a small, meaningful landing data set, then the marts' contents.

One warehouse is built per module (the build takes most of the time); each test reads it.
The landing rows are written here, as ingestion would write them: a few districts over
Fridays across the 30 June / 1 July fiscal-year boundary, a week-on-week drop (an RSSB
correction), a superseded RSSB file and a superseded registry file, two accreditation
survey years and a tiny TPN registry.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import duckdb
import pytest

from tpn_metrics.dbt_runner import DbtBuildError, DbtRunOutcome, dbt_build_in_place
from tpn_metrics.settings import Settings
from tpn_metrics.warehouse import ensure_landing_schema, open_warehouse

pytestmark = pytest.mark.slow

LOADED_AT = datetime(2023, 7, 14, 18, 0, 0)
CENSUS_DATE_2022 = date(2022, 8, 15)
DISTRICTS = ("gasabo", "kicukiro", "musanze")
# members_paid per district and Friday; musanze drops on 2023-07-14 (an RSSB correction).
WEEKLY_MEMBERS = {
    date(2023, 3, 17): {"gasabo": 700_000, "kicukiro": 400_000, "musanze": 380_000},
    date(2023, 3, 24): {"gasabo": 710_000, "kicukiro": 402_000, "musanze": 385_000},
    date(2023, 6, 23): {"gasabo": 760_000, "kicukiro": 420_000, "musanze": 400_000},
    date(2023, 6, 30): {"gasabo": 765_000, "kicukiro": 421_000, "musanze": 401_000},
    date(2023, 7, 7): {"gasabo": 50_000, "kicukiro": 30_000, "musanze": 40_000},
    date(2023, 7, 14): {"gasabo": 90_000, "kicukiro": 45_000, "musanze": 35_000},
}
TARGETS = {"gasabo": 800_000, "kicukiro": 450_000, "musanze": 420_000}
SUPERSEDED_SHA = "sha-rssb-2023-06-30-first"
CURRENT_SHA = "sha-rssb-2023-06-30-second"


@dataclass(frozen=True)
class Reference:
    districts: tuple[str, ...]
    populations: dict[str, tuple[int, int]]
    hospitals: dict[str, str]  # hospital_id -> district_id


def read_reference(settings: Settings) -> Reference:
    with (settings.seeds_dir / "districts.csv").open(encoding="utf-8") as handle:
        districts = tuple(row["district_id"] for row in csv.DictReader(handle))
    with (settings.seeds_dir / "district_census_populations.csv").open(encoding="utf-8") as f:
        populations = {
            row["district_id"]: (int(row["population_2012"]), int(row["population_2022"]))
            for row in csv.DictReader(f)
        }
    with (settings.seeds_dir / "hospitals.csv").open(encoding="utf-8") as handle:
        hospitals = {row["hospital_id"]: row["district_id"] for row in csv.DictReader(handle)}
    return Reference(districts, populations, hospitals)


def _insert(con: duckdb.DuckDBPyConnection, table: str, rows: Sequence[dict[str, Any]]) -> None:
    columns = list(rows[0])
    placeholders = ", ".join("?" for _ in columns)
    con.executemany(
        f"insert into landing.{table} ({', '.join(columns)}) values ({placeholders})",
        [[row[column] for column in columns] for row in rows],
    )


def _ledger(sha: str, kind: str, period: str, superseded_by: str | None = None) -> dict[str, Any]:
    return {
        "file_sha256": sha,
        "file_name": f"{kind}-{period}.csv",
        "kind": kind,
        "received_at": LOADED_AT,
        "status": "superseded" if superseded_by else "loaded",
        "reason": None,
        "warnings": None,
        "row_count": 3,
        "period_key": period,
        "superseded_by": superseded_by,
        "stored_path": f"warehouse/landing/{sha}.csv",
    }


def _rssb_row(
    sha: str, report_date: date, district_id: str, members: int, *, superseded: bool = False
) -> dict[str, Any]:
    target = TARGETS.get(district_id, 300_000)
    return {
        "file_sha256": sha,
        "report_date": report_date,
        "district_id": district_id,
        "district_name_received": district_id.upper(),
        "target_population": target,
        "members_paid": members,
        "households_paid": members // 4,
        "amount_collected_rwf": members * 3_000,
        "coverage_rate_pct": round(members / target * 100, 1),
        "loaded_at": LOADED_AT,
        "is_superseded": superseded,
    }


def load_landing(con: duckdb.DuckDBPyConnection, reference: Reference) -> None:
    ledger: list[dict[str, Any]] = []
    rssb: list[dict[str, Any]] = []
    # A report dated on the 2022 census day for every district: projections must equal it.
    sha = "sha-rssb-2022-08-15"
    ledger.append(_ledger(sha, "rssb_weekly", "2022-08-15"))
    rssb += [_rssb_row(sha, CENSUS_DATE_2022, d, 150_000) for d in reference.districts]
    for report_date, members in WEEKLY_MEMBERS.items():
        sha = CURRENT_SHA if report_date == date(2023, 6, 30) else f"sha-rssb-{report_date}"
        ledger.append(_ledger(sha, "rssb_weekly", str(report_date)))
        rssb += [_rssb_row(sha, report_date, d, members[d]) for d in DISTRICTS]
    # The first file for 2023-06-30, replaced by CURRENT_SHA: must not reach the marts.
    ledger.append(_ledger(SUPERSEDED_SHA, "rssb_weekly", "2023-06-30", CURRENT_SHA))
    rssb += [
        _rssb_row(SUPERSEDED_SHA, date(2023, 6, 30), d, 999_999, superseded=True) for d in DISTRICTS
    ]
    _insert(con, "file_ledger", ledger)
    _insert(con, "rssb_weekly", rssb)

    accreditation = []
    scores = {  # hospital -> (2022 level 2, 2023 level 2)
        "kibagabaga": (60.0, 72.5),
        "masaka": (55.0, 50.0),
        "ruhengeri": (70.0, 71.0),
    }
    for year, sha, scale in ((2022, "sha-moh-2022", "fraction"), (2023, "sha-moh-2023", "percent")):
        for hospital_id, level_2 in scores.items():
            accreditation.append(
                {
                    "file_sha256": sha,
                    "survey_year": year,
                    "hospital_id": hospital_id,
                    "hospital_name_received": hospital_id.title() + " DH",
                    "district_id": reference.hospitals[hospital_id],
                    "hospital_category": None if hospital_id == "ruhengeri" else "district",
                    "level_1_score_pct": 90.0,
                    "level_2_score_pct": level_2[0] if year == 2022 else level_2[1],
                    "level_3_score_pct": None,
                    "score_scale": scale,
                    "loaded_at": LOADED_AT,
                    "is_superseded": False,
                }
            )
    _insert(con, "accreditation_results", accreditation)

    current, old = "sha-registry-2", "sha-registry-1"

    def registry(sha: str, **values: Any) -> dict[str, Any]:
        return {"file_sha256": sha, **values, "loaded_at": LOADED_AT, "is_superseded": sha == old}

    institutions = [
        ("dhmt_gasabo", "Gasabo DHMT", "district", "gasabo", None),
        ("dhmt_musanze", "Musanze DHMT", "district", "musanze", None),
        ("h_kibagabaga", "Kibagabaga Hospital", "hospital", "gasabo", "kibagabaga"),
        ("h_ruhengeri", "Ruhengeri Hospital", "hospital", "musanze", "ruhengeri"),
    ]
    _insert(
        con,
        "tpn_institutions",
        [
            registry(
                sha,
                institution_id=institution_id,
                institution_name=name,
                institution_kind=kind,
                district_id=district_id,
                hospital_id=hospital_id,
                hospital_category=None,
                is_tpn_member=True,
                joined_on=date(2023, 1, 10),
            )
            for sha in (current, old)
            for institution_id, name, kind, district_id, hospital_id in institutions
        ]
        # Only in the superseded registry: must not appear in dim_institution.
        + [
            registry(
                old,
                institution_id="dhmt_kicukiro",
                institution_name="Kicukiro DHMT",
                institution_kind="district",
                district_id="kicukiro",
                hospital_id=None,
                hospital_category=None,
                is_tpn_member=True,
                joined_on=date(2022, 1, 1),
            )
        ],
    )
    priorities = [
        ("dhmt_gasabo", "cbhi_enrollment", 1),
        ("h_kibagabaga", "accreditation", 1),
        ("h_kibagabaga", "anc_first_visit", 2),
        ("h_ruhengeri", "accreditation", 1),
    ]
    _insert(
        con,
        "tpn_priorities",
        [
            registry(
                current,
                institution_id=i,
                topic=topic,
                priority_rank=rank,
                chosen_on=date(2023, 1, 10),
            )
            for i, topic, rank in priorities
        ]
        + [
            registry(
                old,
                institution_id="dhmt_kicukiro",
                topic="malnutrition",
                priority_rank=1,
                chosen_on=date(2022, 1, 1),
            )
        ],
    )
    _insert(
        con,
        "tpn_strengths",
        [registry(current, institution_id="h_ruhengeri", topic="cbhi_enrollment")],
    )
    _insert(
        con,
        "tpn_pairs",
        [
            registry(
                current,
                rising_institution_id="h_kibagabaga",
                shining_institution_id="h_ruhengeri",
                topic="accreditation",
                started_on=date(2023, 1, 10),
                ended_on=None,
            ),
            registry(
                current,
                rising_institution_id="dhmt_gasabo",
                shining_institution_id="dhmt_musanze",
                topic="cbhi_enrollment",
                started_on=date(2023, 1, 10),
                ended_on=date(2023, 6, 30),
            ),
        ],
    )
    _insert(
        con,
        "tpn_events",
        [
            registry(
                current,
                event_number=1,
                event_date=date(2023, 1, 10),
                event_kind="launch_workshop",
                topic=None,
                institution_ids="dhmt_gasabo;dhmt_musanze;h_kibagabaga;h_ruhengeri",
            )
        ],
    )


def make_warehouse(home: Path) -> tuple[Settings, Reference]:
    settings = Settings(home=home)
    reference = read_reference(settings)
    with open_warehouse(settings.warehouse_path) as con:
        ensure_landing_schema(con)
        load_landing(con, reference)
    return settings, reference


@dataclass(frozen=True)
class Built:
    settings: Settings
    reference: Reference
    outcome: DbtRunOutcome


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    settings, reference = make_warehouse(tmp_path_factory.mktemp("tpn_home"))
    outcome = dbt_build_in_place(settings)
    return Built(settings, reference, outcome)


@pytest.fixture
def con(built: Built) -> Iterator[duckdb.DuckDBPyConnection]:
    with open_warehouse(built.settings.warehouse_path, read_only=True) as connection:
        yield connection


def rows(con: duckdb.DuckDBPyConnection, sql: str, *params: object) -> list[tuple[Any, ...]]:
    return con.execute(sql, list(params)).fetchall()


def scalar(con: duckdb.DuckDBPyConnection, sql: str, *params: object) -> Any:
    row = con.execute(sql, list(params)).fetchone()
    assert row is not None
    return row[0]


def round_half_away_from_zero(value: float) -> int:
    return int(math.copysign(math.floor(abs(value) + 0.5), value))


def test_build_succeeds_with_unit_and_data_tests(built: Built) -> None:
    outcome = built.outcome
    assert outcome.success
    assert outcome.failed_nodes == ()
    assert outcome.status_counts.get("pass", 0) > 50  # data and unit tests
    assert outcome.status_counts.get("success", 0) >= 20  # seeds and models
    assert outcome.elapsed_seconds > 0
    assert (built.settings.dbt_target_dir / "run_results.json").exists()
    assert (built.settings.home / "var" / "dbt_logs" / "dbt.log").exists()


def test_schemas_are_literal(con: duckdb.DuckDBPyConnection) -> None:
    schemas = {
        schema
        for (schema,) in rows(con, "select distinct table_schema from information_schema.tables")
    }
    assert {"landing", "reference", "staging", "intermediate", "marts"} <= schemas


def test_dimensions(con: duckdb.DuckDBPyConnection, built: Built) -> None:
    assert scalar(con, "select count(*) from marts.dim_district") == 30
    assert scalar(con, "select count(*) from marts.dim_hospital") == len(built.reference.hospitals)
    assert rows(
        con,
        "select province, population_2012, population_2022 from marts.dim_district "
        "where district_id = 'gasabo'",
    ) == [("Kigali City", 529_561, 879_505)]
    # the superseded registry's Kicukiro DHMT is gone
    assert rows(con, "select institution_id from marts.dim_institution order by 1") == [
        ("dhmt_gasabo",),
        ("dhmt_musanze",),
        ("h_kibagabaga",),
        ("h_ruhengeri",),
    ]
    assert rows(
        con,
        "select hospital_category from marts.dim_institution where institution_id = 'h_ruhengeri'",
    ) == [("provincial",)]


def test_weekly_drops_superseded_file_and_flags_correction(
    con: duckdb.DuckDBPyConnection,
) -> None:
    assert scalar(con, "select count(*) from marts.fct_cbhi_weekly") == 30 + 3 * 6
    weekly_rows = "select count(*) from marts.fct_cbhi_weekly where "
    assert scalar(con, weekly_rows + "source_file_sha256 = ?", SUPERSEDED_SHA) == 0
    assert scalar(con, weekly_rows + "members_paid = 999999") == 0
    assert rows(
        con,
        "select members_paid, source_file_sha256 from marts.fct_cbhi_weekly "
        "where district_id = 'gasabo' and report_date = '2023-06-30'",
    ) == [(765_000, CURRENT_SHA)]
    assert rows(
        con,
        "select district_id, report_date, members_paid_change_week "
        "from marts.fct_cbhi_weekly where is_correction",
    ) == [("musanze", date(2023, 7, 14), -5_000)]


def test_weekly_fiscal_year_boundary(con: duckdb.DuckDBPyConnection) -> None:
    result = rows(
        con,
        "select report_date, fiscal_year, fiscal_year_start_date, week_of_fiscal_year, "
        "members_paid_change_week, coverage_change_week_pp, coverage_reported_pct "
        "from marts.fct_cbhi_weekly where district_id = 'gasabo' "
        "and report_date >= '2023-06-30' order by report_date",
    )
    assert result[0][:5] == (date(2023, 6, 30), "2022/23", date(2022, 7, 1), 53, 5_000)
    # first report of 2023/24: no week-on-week change across the fiscal-year boundary
    assert result[1][:6] == (date(2023, 7, 7), "2023/24", date(2023, 7, 1), 1, None, None)
    assert result[2][:5] == (date(2023, 7, 14), "2023/24", date(2023, 7, 1), 2, 40_000)
    assert result[2][5] == pytest.approx(90_000 / 800_000 * 100 - 50_000 / 800_000 * 100)
    assert result[2][6] == pytest.approx(11.25)


def test_projection_equals_the_2022_census_for_every_district(
    con: duckdb.DuckDBPyConnection, built: Built
) -> None:
    result = rows(
        con,
        "select district_id, projected_population_linear, projected_population_geometric, "
        "projected_population_exponential from marts.fct_cbhi_coverage_corrected "
        "where report_date = ?",
        CENSUS_DATE_2022,
    )
    assert len(result) == 30
    for district_id, linear, geometric, exponential in result:
        census_2022 = built.reference.populations[district_id][1]
        assert linear == geometric == exponential == census_2022, district_id


def test_worked_projection_and_corrected_target(con: duckdb.DuckDBPyConnection) -> None:
    # Gasabo: 529,561 (2012-08-15) -> 879,505 (2022-08-15); report 2023-03-24.
    days = (date(2023, 3, 24) - date(2012, 8, 15)).days  # 3,873
    f = days / 3_652
    linear_by_hand = 529_561 + (879_505 - 529_561) * f  # 900,681.79
    geometric_by_hand = 529_561 * (879_505 / 529_561) ** f  # 906,924.37
    assert round_half_away_from_zero(linear_by_hand) == 900_682
    assert round_half_away_from_zero(geometric_by_hand) == 906_924
    result = rows(
        con,
        "select projected_population_linear, projected_population_geometric, "
        "projected_population_exponential, other_scheme_share, corrected_target_central, "
        "corrected_target_low, corrected_target_high, correction_factor, correction_method, "
        "coverage_corrected_pct, is_target_stale, is_projection_too_low "
        "from marts.fct_cbhi_coverage_corrected "
        "where district_id = 'gasabo' and report_date = '2023-03-24'",
    )
    assert len(result) == 1
    (
        linear,
        geometric,
        exponential,
        share,
        central,
        low,
        high,
        factor,
        method,
        coverage,
        is_stale,
        too_low,
    ) = result[0]
    assert (linear, geometric, exponential) == (900_682, 906_924, 906_924)
    assert share == pytest.approx(0.10)  # the seed is empty: the default
    assert central == round_half_away_from_zero(906_924 * 0.9) == 816_232
    assert low == round_half_away_from_zero(900_682 * 0.9) == 810_614
    assert high == central
    assert factor == pytest.approx(800_000 / 816_232)
    assert method == "geometric"
    assert coverage == pytest.approx(710_000 / 816_232 * 100)
    assert is_stale is False  # 800,000 vs 816,232 is 2% off
    assert too_low is False


def test_fiscal_year_same_date(con: duckdb.DuckDBPyConnection) -> None:
    assert scalar(con, "select count(*) from marts.fct_cbhi_fiscal_year") == 30 + 3
    assert rows(
        con,
        "select report_count, last_report_date, year_end_members_paid, same_date, "
        "same_date_report_date, same_date_distance_days, same_date_members_paid "
        "from marts.fct_cbhi_fiscal_year where district_id = 'gasabo' and fiscal_year = '2022/23'",
    ) == [(5, date(2023, 6, 30), 765_000, date(2023, 3, 23), date(2023, 3, 24), 1, 710_000)]


def test_accreditation_change(con: duckdb.DuckDBPyConnection) -> None:
    assert rows(
        con,
        "select hospital_id, survey_year, district_id, hospital_category, level_2_change_pp, "
        "score_scale_received from marts.fct_accreditation order by 1, 2",
    ) == [
        ("kibagabaga", 2022, "gasabo", "district", None, "fraction"),
        ("kibagabaga", 2023, "gasabo", "district", 12.5, "percent"),
        ("masaka", 2022, "kicukiro", "district", None, "fraction"),
        ("masaka", 2023, "kicukiro", "district", -5.0, "percent"),
        ("ruhengeri", 2022, "musanze", "provincial", None, "fraction"),
        ("ruhengeri", 2023, "musanze", "provincial", 1.0, "percent"),
    ]


def test_focus_covers_every_entity_and_applies_the_rule(
    con: duckdb.DuckDBPyConnection, built: Built
) -> None:
    topics = 3  # accreditation, anc_first_visit, cbhi_enrollment (malnutrition was superseded)
    entities = len(built.reference.hospitals) + 30
    assert scalar(con, "select count(*) from marts.fct_tpn_focus") == entities * topics
    in_focus = rows(
        con,
        "select entity_kind, entity_id, topic, focus_source from marts.fct_tpn_focus "
        "where is_focus order by 1, 2, 3",
    )
    gasabo_hospitals = sorted(h for h, d in built.reference.hospitals.items() if d == "gasabo")
    expected = [("district", "gasabo", "cbhi_enrollment", "own_priority")]
    for hospital_id in gasabo_hospitals:
        expected.append(("hospital", hospital_id, "cbhi_enrollment", "district_priority"))
        if hospital_id == "kibagabaga":
            expected += [
                ("hospital", "kibagabaga", "accreditation", "own_priority"),
                ("hospital", "kibagabaga", "anc_first_visit", "own_priority"),
            ]
    expected.append(("hospital", "ruhengeri", "accreditation", "own_priority"))
    assert in_focus == sorted(expected)
    not_in_focus_with_a_source = (
        "select count(*) from marts.fct_tpn_focus where not is_focus and focus_source <> 'none'"
    )
    assert scalar(con, not_in_focus_with_a_source) == 0


def test_registry_facts(con: duckdb.DuckDBPyConnection) -> None:
    assert scalar(con, "select count(*) from marts.fct_tpn_priorities") == 4
    assert rows(
        con,
        "select rising_institution_id, shining_institution_id, rising_district_id, "
        "shining_district_id, is_active from marts.fct_twinning_pairs order by 1",
    ) == [
        ("dhmt_gasabo", "dhmt_musanze", "gasabo", "musanze", False),
        ("h_kibagabaga", "h_ruhengeri", "gasabo", "musanze", True),
    ]


def test_failing_test_raises_naming_the_node(tmp_path: Path) -> None:
    settings, _ = make_warehouse(tmp_path)
    # An ingestion bug: a second file for 2023-07-14 loaded without superseding the first.
    with open_warehouse(settings.warehouse_path) as con:
        _insert(
            con,
            "rssb_weekly",
            [_rssb_row("sha-rssb-duplicate", date(2023, 7, 14), "gasabo", 91_000)],
        )
    with pytest.raises(DbtBuildError) as raised:
        dbt_build_in_place(settings)
    error = raised.value
    message = str(error)
    assert "unique_combination_of_columns_stg_rssb__weekly_reports" in message
    assert not error.outcome.success
    assert [(node.name, node.status) for node in error.outcome.failed_nodes] == [
        ("unique_combination_of_columns_stg_rssb__weekly_reports_district_id__report_date", "fail")
    ]
    # everything downstream of the failing test was skipped, the email's tables included
    assert {"fct_cbhi_weekly", "fct_cbhi_coverage_corrected"} <= set(error.outcome.skipped_nodes)
    with open_warehouse(settings.warehouse_path, read_only=True) as con:
        assert con.execute(
            "select count(*) from information_schema.tables "
            "where table_schema = 'marts' and table_name = 'fct_cbhi_weekly'"
        ).fetchone() == (0,)
