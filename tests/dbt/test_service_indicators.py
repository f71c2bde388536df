"""dbt build on DHIS2 landing rows, then fct_service_indicators and fct_service_coverage_corrected.

The landing rows are written here as ingestion writes them (landing.dhis2_data_values, one row
per file line, and each file's landing.file_ledger row with its delivery): a district-level
analytics row with numerator and denominator (includeNumDen) re-sent in a file delivered a
month later but ingested in the same run (the later delivery wins, whatever the SHA-256 order),
a quarterly row, a hospital's data elements by category option combo (a data value set, which
replaces an older analytics export of the same combos: DHIS2's default attribute option combo
HllvX50cXC0 is the analytics export's missing one), health-centre rows that roll up to their
district (and a district whose roll-up would leave out a percentage without numerator /
denominator, which gets no district figure), and reporting-rate counts. Expected values are
computed by hand below, the census projection with the formula of
int_district_populations_projected (geometric, to the month's 15th), expected pregnancies by
days (DHIS2's annualization: x days in the month / days in the year).
"""

from __future__ import annotations

import csv
import math
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

import duckdb
import pytest

from tpn_metrics.dbt_runner import dbt_build_in_place
from tpn_metrics.settings import Settings
from tpn_metrics.warehouse import ensure_landing_schema, open_warehouse

pytestmark = pytest.mark.slow

FIRST_LOAD = datetime(2023, 4, 15, 9, 0)
ONE_RUN = datetime(2023, 5, 16, 9, 0)  # one ingest run: every file in it gets this loaded_at
APRIL_DELIVERY = datetime(2023, 4, 14, 8, 0)
MAY_DELIVERY = datetime(2023, 5, 15, 8, 0)
DEFAULT_COMBO = "HllvX50cXC0"  # DHIS2's default (attribute) option combo
MARCH = ("202303", "Monthly", date(2023, 3, 1), date(2023, 3, 31))
Q1 = ("2023Q1", "Quarterly", date(2023, 1, 1), date(2023, 3, 31))
INSTITUTIONS = (  # institution_id, kind, district_id, hospital_id
    ("DHMT-GASABO", "district", "gasabo", None),
    ("DHMT-MUSANZE", "district", "musanze", None),
    ("HOSP-KIBAGABAGA", "hospital", "gasabo", "kibagabaga"),
    ("HOSP-RUHENGERI", "hospital", "musanze", "ruhengeri"),
)


def seed_rows(settings: Settings, name: str) -> list[dict[str, str]]:
    with (settings.seeds_dir / f"{name}.csv").open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


class Landing:
    """Builds landing.dhis2_data_values rows the way ingestion resolves them."""

    def __init__(self, settings: Settings) -> None:
        self.org_units = {
            row["org_unit_name"]: row for row in seed_rows(settings, "dhis2_org_units")
        }
        self.items = {row["item_code"]: row for row in seed_rows(settings, "dhis2_data_items")}
        self.rows: list[dict[str, Any]] = []
        self.deliveries: dict[str, datetime] = {}

    def delivered(self, sha: str, at: datetime) -> None:
        self.deliveries[sha] = at

    def ledger_rows(self) -> list[dict[str, Any]]:
        return [
            {
                "file_sha256": sha,
                "file_name": f"{sha}.json",
                "kind": "dhis2",
                "received_at": max(
                    row["loaded_at"] for row in self.rows if row["file_sha256"] == sha
                ),
                "status": "loaded",
                "stored_path": f"received/{sha}.json",
                "delivered_at": at,
            }
            for sha, at in self.deliveries.items()
        ]

    def add(
        self,
        sha: str,
        org_unit: str,
        item_code: str,
        value: float,
        *,
        period: tuple[str, str, date, date] = MARCH,
        combo: str | None = None,
        attribute_combo: str | None = None,
        numerator: float | None = None,
        denominator: float | None = None,
        loaded_at: datetime = FIRST_LOAD,
    ) -> None:
        unit, item = self.org_units[org_unit], self.items[item_code]
        period_id, period_type, start, end = period
        self.rows.append(
            {
                "file_sha256": sha,
                "source_format": "analytics_json" if combo is None else "data_value_set_json",
                "data_item_uid": item["dhis2_uid"],
                "data_item_name_received": item["dhis2_name"],
                "item_code": item_code,
                "category_option_combo_uid": combo,
                "attribute_option_combo_uid": attribute_combo,
                "period_id": period_id,
                "period_type": period_type,
                "period_start": start,
                "period_end": end,
                "org_unit_uid": unit["org_unit_uid"],
                "org_unit_name_received": org_unit,
                "org_unit_level": unit["org_unit_level"],
                "district_id": unit["district_id"],
                "hospital_id": unit["hospital_id"] or None,
                "value": value,
                "numerator": numerator,
                "denominator": denominator,
                "row_number": sum(row["file_sha256"] == sha for row in self.rows) + 1,
                "loaded_at": loaded_at,
                "is_superseded": False,
            }
        )


def landing(settings: Settings) -> Landing:
    landing = Landing(settings)
    # Gasabo district, analytics with includeNumDen: ANC 1st visits 2,100 / 2,400 = 87.5 %
    # in the April export sha-a, revised in May's sha-0 to 2,160 / 2,400 = 90.0 %. Both are
    # ingested in one run (same loaded_at); sha-0 sorts before sha-a, yet the later delivery
    # wins: 90.0 %.
    landing.delivered("sha-a", APRIL_DELIVERY)
    landing.delivered("sha-0", MAY_DELIVERY)
    landing.add(
        "sha-a",
        "Gasabo District",
        "anc1_coverage_pct",
        87.5,
        numerator=2100,
        denominator=2400,
        loaded_at=ONE_RUN,
    )
    landing.add(
        "sha-0",
        "Gasabo District",
        "anc1_coverage_pct",
        90.0,
        numerator=2160,
        denominator=2400,
        loaded_at=ONE_RUN,
    )
    landing.add(
        "sha-a",
        "Gasabo District",
        "anc1_coverage_pct",
        88.0,
        period=Q1,
        numerator=6160,
        denominator=7000,
    )
    # Gasabo's own reporting rate (19 / 20 = 95 %) wins over its health centres' roll-up.
    landing.add(
        "sha-a", "Gasabo District", "hmis_reporting_rate_pct", 95.0, numerator=19, denominator=20
    )
    for centre in ("Gasabo Health Centre 1", "Gasabo Health Centre 2"):
        landing.add("sha-c", centre, "hmis_actual_reports", 0, combo="default")
        landing.add("sha-c", centre, "hmis_expected_reports", 1, combo="default")
    # Kibagabaga hospital, a data value set (attribute combo HllvX50cXC0) by category option
    # combo: asphyxia 7 + 5 = 12, live births 250 + 230 = 480 -> 12 / 480 x 1000 = 25.0 per
    # 1,000. An older analytics export sha-d (delivered in March, no attribute combo: the
    # default) had live births 240 + 220 by the same combos: replaced, not added (not 940).
    landing.delivered("sha-c", APRIL_DELIVERY)
    landing.delivered("sha-d", datetime(2023, 3, 20, 8, 0))
    for combo, asphyxia, births in (("coc-female", 7, 250), ("coc-male", 5, 230)):
        for item_code, value in (("newborns_asphyxia", asphyxia), ("live_births", births)):
            landing.add(
                "sha-c",
                "Kibagabaga Hospital",
                item_code,
                value,
                combo=combo,
                attribute_combo=DEFAULT_COMBO,
            )
    for combo, births in (("coc-female", 240), ("coc-male", 220)):
        landing.add("sha-d", "Kibagabaga Hospital", "live_births", births, combo=combo)
    # Musanze: no district row. SAM cured / exits: Ruhengeri 18 / 20, health centre 1 2 / 5,
    # health centre 2 a bare 10 %: (18 + 2) / (20 + 5) x 100 = 80.0 % would leave health
    # centre 2 out, so Musanze's DHMT gets no SAM cure rate (not a partial 80.0 %).
    for unit, cured, exits in (("Ruhengeri Hospital", 18, 20), ("Musanze Health Centre 1", 2, 5)):
        landing.add("sha-c", unit, "sam_cured", cured, combo="default")
        landing.add("sha-c", unit, "sam_exits", exits, combo="default")
    landing.add("sha-c", "Musanze Health Centre 2", "sam_cure_rate_pct", 10.0)
    # Reporting: actual / on time / expected = 1/1/1, 1/0/1, 0/0/1 -> 2/3 and 1/3 of reports.
    for unit, actual, on_time in (
        ("Ruhengeri Hospital", 1, 1),
        ("Musanze Health Centre 1", 1, 0),
        ("Musanze Health Centre 2", 0, 0),
    ):
        landing.add("sha-c", unit, "hmis_actual_reports", actual)
        landing.add("sha-c", unit, "hmis_actual_reports_on_time", on_time)
        landing.add("sha-c", unit, "hmis_expected_reports", 1)
    return landing


def registry_rows() -> list[dict[str, Any]]:
    return [
        {
            "file_sha256": "sha-registry",
            "institution_id": institution_id,
            "institution_name": institution_id.title(),
            "institution_kind": kind,
            "district_id": district_id,
            "hospital_id": hospital_id,
            "hospital_category": None,
            "is_tpn_member": True,
            "joined_on": date(2021, 3, 1),
            "loaded_at": FIRST_LOAD,
            "is_superseded": False,
        }
        for institution_id, kind, district_id, hospital_id in INSTITUTIONS
    ]


def insert(con: duckdb.DuckDBPyConnection, table: str, rows: list[dict[str, Any]]) -> None:
    columns = list(rows[0])
    con.executemany(
        f"insert into landing.{table} ({', '.join(columns)}) "
        f"values ({', '.join('?' for _ in columns)})",
        [[row[column] for column in columns] for row in rows],
    )


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    settings = Settings(home=tmp_path_factory.mktemp("dhis2_home"))
    with open_warehouse(settings.warehouse_path) as con:
        ensure_landing_schema(con)
        rows = landing(settings)
        insert(con, "dhis2_data_values", rows.rows)
        insert(con, "file_ledger", rows.ledger_rows())
        insert(con, "tpn_institutions", registry_rows())
    outcome = dbt_build_in_place(settings)
    assert outcome.success, outcome.describe_failures()
    return settings


@pytest.fixture
def con(settings: Settings) -> Iterator[duckdb.DuckDBPyConnection]:
    with open_warehouse(settings.warehouse_path, read_only=True) as connection:
        yield connection


def indicators(con: duckdb.DuckDBPyConnection) -> dict[tuple[str, str, str], dict[str, Any]]:
    cursor = con.execute("select * from marts.fct_service_indicators")
    names = [column[0] for column in cursor.description]
    return {
        (row["institution_id"], row["item_code"], row["period_id"]): row
        for row in (dict(zip(names, values, strict=True)) for values in cursor.fetchall())
    }


def geometric_projection(population_2012: int, population_2022: int, on: date) -> int:
    fraction = (on - date(2012, 8, 15)).days / (date(2022, 8, 15) - date(2012, 8, 15)).days
    value = float(population_2012) * (float(population_2022) / float(population_2012)) ** fraction
    return int(math.copysign(math.floor(abs(value) + 0.5), value))


def test_service_indicators_match_hand_computed_values(con: duckdb.DuckDBPyConnection) -> None:
    rows = indicators(con)
    expected = {  # key -> (value, numerator, denominator, value_source, facilities_rolled_up)
        ("DHMT-GASABO", "anc1_coverage_pct", "202303"): (90.0, 2160, 2400, "exported", None),
        ("DHMT-GASABO", "anc1_coverage_pct", "2023Q1"): (88.0, 6160, 7000, "exported", None),
        ("DHMT-GASABO", "hmis_reporting_rate_pct", "202303"): (95.0, 19, 20, "exported", None),
        ("HOSP-KIBAGABAGA", "birth_asphyxia_per_1000", "202303"): (
            25.0,
            12,
            480,
            "computed_from_data_elements",
            None,
        ),
        ("HOSP-RUHENGERI", "sam_cure_rate_pct", "202303"): (
            90.0,
            18,
            20,
            "computed_from_data_elements",
            None,
        ),
        ("HOSP-RUHENGERI", "hmis_reporting_rate_pct", "202303"): (
            100.0,
            1,
            1,
            "computed_from_data_elements",
            None,
        ),
        ("HOSP-RUHENGERI", "hmis_reporting_rate_on_time_pct", "202303"): (
            100.0,
            1,
            1,
            "computed_from_data_elements",
            None,
        ),
        ("DHMT-MUSANZE", "hmis_reporting_rate_pct", "202303"): (200 / 3, 2, 3, "rolled_up", 3),
        ("DHMT-MUSANZE", "hmis_reporting_rate_on_time_pct", "202303"): (
            100 / 3,
            1,
            3,
            "rolled_up",
            3,
        ),
    }
    for key, (value, numerator, denominator, source, facilities) in expected.items():
        row = rows[key]
        assert row["value"] == pytest.approx(value), key
        assert (row["numerator"], row["denominator"]) == (numerator, denominator), key
        assert (row["value_source"], row["facilities_rolled_up"]) == (source, facilities), key
    # Kibagabaga alone reports asphyxia for Gasabo and no health centre does: a hospital's
    # figure is not its district's, so Gasabo's DHMT has no asphyxia value (not 25.0).
    assert ("DHMT-GASABO", "birth_asphyxia_per_1000", "202303") not in rows
    # Musanze's SAM roll-up would leave out health centre 2's bare percentage: no row.
    assert ("DHMT-MUSANZE", "sam_cure_rate_pct", "202303") not in rows
    assert rows[("HOSP-RUHENGERI", "sam_cure_rate_pct", "202303")]["topic"] == "malnutrition"
    assert rows[("HOSP-KIBAGABAGA", "birth_asphyxia_per_1000", "202303")]["factor"] == 1000
    quarter = rows[("DHMT-GASABO", "anc1_coverage_pct", "2023Q1")]
    assert (quarter["period_type"], quarter["period_start"], quarter["period_end"]) == (
        "Quarterly",
        date(2023, 1, 1),
        date(2023, 3, 31),
    )
    # No raw data elements, no health centres, and nothing beyond the rows above and the
    # census-corrected ANC row.
    assert set(rows) == set(expected) | {("DHMT-GASABO", "anc1_coverage_corrected_pct", "202303")}


def test_anc_coverage_corrected_by_the_census(
    con: duckdb.DuckDBPyConnection, settings: Settings
) -> None:
    populations = {
        row["district_id"]: row for row in seed_rows(settings, "district_census_populations")
    }
    gasabo = populations["gasabo"]
    population = geometric_projection(
        int(gasabo["population_2012"]), int(gasabo["population_2022"]), date(2023, 3, 15)
    )
    rates = {
        int(row["year"]): float(row["crude_birth_rate_per_1000"])
        for row in seed_rows(settings, "crude_birth_rates")
    }
    last_year = max(rates)  # 2023 is after the seed's last year: its last rate is used
    # The year's expected births shared out by days, as DHIS2 annualizes: March has 31 of
    # 2023's 365 days.
    expected_pregnancies = population * rates[last_year] / 1000 * 31 / 365
    corrected_pct = 2160 / expected_pregnancies * 100

    cursor = con.execute("select * from marts.fct_service_coverage_corrected")
    names = [column[0] for column in cursor.description]
    found = [dict(zip(names, values, strict=True)) for values in cursor.fetchall()]
    assert len(found) == 1  # monthly district rows only: not 2023Q1
    row = found[0]
    assert (row["district_id"], row["item_code"], row["period_id"], row["month_start"]) == (
        "gasabo",
        "anc1_coverage_pct",
        "202303",
        date(2023, 3, 1),
    )
    assert (row["numerator"], row["denominator_dhis2"], row["coverage_dhis2_pct"]) == (
        2160,
        2400,
        90.0,
    )
    assert row["population_projected"] == population == 905_791
    assert (row["crude_birth_rate_year"], row["crude_birth_rate_per_1000"]) == (2020, 30.73)
    assert row["expected_pregnancies_census"] == pytest.approx(expected_pregnancies)
    assert row["coverage_corrected_pct"] == pytest.approx(corrected_pct)
    assert row["coverage_difference_pp"] == pytest.approx(corrected_pct - 90.0)
    assert (row["days_in_month"], row["days_in_year"]) == (31, 365)
    # 905,791 x 30.73 / 1000 = 27,834.96 births a year; x 31 / 365 = 2,364.06 in March
    # (/ 12 would give 2,319.58); 2,160 / 2,364.06 x 100 = 91.37 %.
    assert expected_pregnancies == pytest.approx(2364.06, abs=0.01)
    assert corrected_pct == pytest.approx(91.37, abs=0.01)

    mart = indicators(con)[("DHMT-GASABO", "anc1_coverage_corrected_pct", "202303")]
    assert mart["value"] == pytest.approx(corrected_pct)
    assert mart["denominator"] == pytest.approx(expected_pregnancies)
    assert (mart["value_source"], mart["topic"], mart["factor"]) == (
        "census_corrected",
        "anc_first_visit",
        100,
    )
    assert (mart["period_start"], mart["period_end"]) == (date(2023, 3, 1), date(2023, 3, 31))


def test_marts_are_empty_not_missing_without_dhis2_data(tmp_path: Path) -> None:
    """make demo before any DHIS2 file: the models build on an empty landing table."""
    settings = Settings(home=tmp_path)
    with open_warehouse(settings.warehouse_path) as con:
        ensure_landing_schema(con)
    outcome = dbt_build_in_place(settings)
    assert outcome.success, outcome.describe_failures()
    with open_warehouse(settings.warehouse_path, read_only=True) as con:
        for mart in ("fct_service_indicators", "fct_service_coverage_corrected"):
            assert con.execute(f"select count(*) from marts.{mart}").fetchone() == (0,)
