"""The sample's DHIS2 exports, read back the way a loader would, against DHIS2's documented shapes.

Shapes: dhis2-docs ``src/developer/web-api/analytics.md`` ("Response formats": ``headers``,
``metaData``, ``rows``, ``height``, ``width``; ``includeNumDen``; ``hierarchyMeta`` →
``metaData.ouHierarchy``; data-set reporting metrics ``<dataSetUid>.REPORTING_RATE`` …) and
``src/developer/web-api/data.md`` ("Reading data values": ``{"dataValues": [...]}`` with values
as strings; "CSV data value format": the quoted lower-case header; the period types table for
``202303``, ``2023Q1``, ``2023``, ``2022July``). dhis2-core: ``HeaderHandler`` (the nine header
names with ``includeNumDen``), ``GridUtils.toCsv`` (the CSV header is each header's column),
``DataExportOutput`` (data value set CSV columns), ``AnalyticsUtils.getRoundedValue`` /
``MathUtils.getRounded`` (2 decimals, half up).

Nothing here reads the generator's internals: districts' numbers are checked against the sum of
their facilities' written components, the manifest's effects against the written rows.
"""

from __future__ import annotations

import calendar
import csv
import datetime as dt
import hashlib
import io
import json
import re
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from tpn_metrics.calendar import CENSUS_2012_DATE, CENSUS_2022_DATE
from tpn_metrics.reference import load_districts
from tpn_metrics.sample import SampleManifest, generate_sample
from tpn_metrics.settings import Settings

SEEDS = Settings().seeds_dir
TODAY = dt.date(2024, 1, 1)
HEADERS = ["dx", "pe", "ou", "value", "numerator", "denominator", "factor", "multiplier", "divisor"]
CSV_HEADER = "Data,Period,Organisation unit,Value,Numerator,Denominator,Factor,Multiplier,Divisor"
DVS_KEYS = {"dataElement", "period", "orgUnit", "categoryOptionCombo", "attributeOptionCombo"}
PERIOD = re.compile(r"^(\d{4})(?:(0[1-9]|1[0-2])|Q([1-4])|(July))?$")
# sha256 over "path sha256" lines of every non-DHIS2 sample file for seed 2024, as written before
# the DHIS2 exports were added: the DHIS2 part draws from its own stream and changes nothing else.
OTHER_FILES_DIGEST = "ccb4fdd0db6dd022adb9c73dd78e15fa48ba28b78a524eca16bd2ccdaf36ea13"
Key = tuple[str, str, str]  # (item code, period id, org unit uid)


def seed_rows(name: str) -> list[dict[str, str]]:
    with (SEEDS / name).open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


ORG_UNITS = {r["org_unit_uid"]: r for r in seed_rows("dhis2_org_units.csv")}
ITEMS = {r["dhis2_uid"]: r for r in seed_rows("dhis2_data_items.csv")}
CODE_UID = {r["item_code"]: uid for uid, r in ITEMS.items()}


def half_up(value: float) -> float:
    return float(Decimal(repr(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def months(period: str) -> list[str]:
    """The monthly ids a period id covers."""
    match = PERIOD.match(period)
    assert match, period
    year, month, quarter, july = match.groups()
    y = int(year)
    if month:
        return [period]
    if quarter:
        return [f"{y}{m:02d}" for m in range(3 * int(quarter) - 2, 3 * int(quarter) + 1)]
    if july:
        return [f"{y}{m:02d}" for m in range(7, 13)] + [f"{y + 1}{m:02d}" for m in range(1, 7)]
    return [f"{y}{m:02d}" for m in range(1, 13)]


def census_expected(district_id: str, month: str) -> float:
    """Expected pregnancies from the census projection at mid-month × crude birth rate × days
    in the month / days in the year (docs/dhis2.md §4: the corrected ANC denominator; later
    years than the seed use its last rate)."""
    rates = {
        int(r["year"]): float(r["crude_birth_rate_per_1000"])
        for r in seed_rows("crude_birth_rates.csv")
    }
    district = next(d for d in load_districts(SEEDS) if d.district_id == district_id)
    day = dt.date(int(month[:4]), int(month[4:]), 15)
    span = (CENSUS_2022_DATE - CENSUS_2012_DATE).days
    growth = (district.population_2022 / district.population_2012) ** (
        (day - CENSUS_2012_DATE).days / span
    )
    days_in_month = calendar.monthrange(day.year, day.month)[1]
    days_in_year = 366 if calendar.isleap(day.year) else 365
    per_year = district.population_2012 * growth * rates[min(day.year, max(rates))] / 1000
    return float(per_year * days_in_month / days_in_year)


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, SampleManifest]:
    out = tmp_path_factory.mktemp("dhis2")
    return out, generate_sample(out, seed=2024, today=TODAY)


@pytest.fixture(scope="module")
def analytics(sample: tuple[Path, SampleManifest]) -> dict[str, dict[Key, dict[str, str]]]:
    """Every analytics row by file, from JSON and CSV alike, keyed (code, period, org unit)."""
    root, _ = sample
    out: dict[str, dict[Key, dict[str, str]]] = {}
    for path in sorted((root / "dhis2").glob("analytics_*")):
        if path.suffix == ".json":
            payload = json.loads(path.read_text(encoding="utf-8"))
            names = [h["name"] for h in payload["headers"]]
            records = [dict(zip(names, row, strict=True)) for row in payload["rows"]]
        else:
            text = path.read_text(encoding="utf-8")
            assert text.splitlines()[0] == CSV_HEADER
            records = [
                dict(zip(HEADERS, r, strict=True)) for r in list(csv.reader(io.StringIO(text)))[1:]
            ]
        out[path.name] = {(ITEMS[r["dx"]]["item_code"], r["pe"], r["ou"]): r for r in records}
    return out


@pytest.fixture(scope="module")
def components(sample: tuple[Path, SampleManifest]) -> dict[Key, int]:
    """Data value sets summed over category option combos: (code, month, org unit) → count."""
    root, _ = sample
    out: dict[Key, int] = defaultdict(int)
    for path in sorted((root / "dhis2").glob("datavalues_*")):
        if path.suffix == ".json":
            values = json.loads(path.read_text(encoding="utf-8"))["dataValues"]
            rows = [(v["dataElement"], v["period"], v["orgUnit"], v["value"]) for v in values]
        else:
            records = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))
            rows = [(r["dataelement"], r["period"], r["orgunit"], r["value"]) for r in records]
        for element, period, unit, value in rows:
            assert isinstance(value, str) and value.isdigit()
            out[(ITEMS[element]["item_code"], period, unit)] += int(value)
    return dict(out)


def monthly_rows(
    analytics: dict[str, dict[Key, dict[str, str]]], kind: str
) -> dict[Key, dict[str, str]]:
    rows: dict[Key, dict[str, str]] = {}
    for name, by_key in analytics.items():
        if name.startswith(f"analytics_{kind}_") and re.search(r"_\d{4}-\d\d\.", name):
            for key, row in by_key.items():
                assert key not in rows, key
                rows[key] = row
    return rows


def test_files_have_every_format_and_period_type(sample: tuple[Path, SampleManifest]) -> None:
    root, manifest = sample
    names = [f.split("/")[1] for f in manifest.files if f.startswith("dhis2/")]
    assert sorted(names) == sorted(p.name for p in (root / "dhis2").iterdir())
    assert len([n for n in names if n.startswith("analytics_") and n.endswith(".json")]) == 20
    assert len([n for n in names if n.startswith("analytics_") and n.endswith(".csv")]) == 4
    assert any(n.startswith("datavalues_") and n.endswith(".json") for n in names)
    assert any(n.startswith("datavalues_") and n.endswith(".csv") for n in names)
    periods = set()
    for path in (root / "dhis2").glob("analytics_*.json"):
        periods |= set(json.loads(path.read_text())["metaData"]["dimensions"]["pe"])
    assert {"2022Q1", "2022Q4", "2020July", "2021July", "2022July", "202007", "202306"} <= periods
    yearly = (root / "dhis2" / "analytics_hospitals_yearly.csv").read_text().splitlines()[1:]
    assert {line.split(",")[1] for line in yearly} == {"2021", "2022"}


def test_analytics_json_has_the_documented_shape(sample: tuple[Path, SampleManifest]) -> None:
    root, _ = sample
    for path in sorted((root / "dhis2").glob("analytics_*.json")):
        payload: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        assert [h["name"] for h in payload["headers"]] == HEADERS
        assert [h["meta"] for h in payload["headers"]] == [True] * 3 + [False] * 6
        rows = payload["rows"]
        assert payload["height"] == len(rows) > 0 and payload["width"] == len(HEADERS)
        assert all(len(r) == len(HEADERS) and all(isinstance(c, str) for c in r) for r in rows)
        meta = payload["metaData"]
        dims = meta["dimensions"]
        assert {r[0] for r in rows} == set(dims["dx"]) and {r[1] for r in rows} == set(dims["pe"])
        assert {r[2] for r in rows} == set(dims["ou"])
        for uid in dims["ou"]:
            assert ORG_UNITS[uid]["org_unit_level"] == "district"
            assert meta["items"][uid]["name"] == ORG_UNITS[uid]["org_unit_name"]
            ancestors = meta["ouHierarchy"][uid].strip("/").split("/")
            assert len(ancestors) == 2 and all(meta["items"][a]["name"] for a in ancestors)
        for uid in dims["dx"]:
            assert meta["items"][uid]["name"] == ITEMS[uid]["dhis2_name"]
        for period in dims["pe"]:
            assert PERIOD.match(period) and meta["items"][period]["name"]


def test_values_are_numerator_over_denominator_rounded_as_dhis2(
    analytics: dict[str, dict[Key, dict[str, str]]],
) -> None:
    checked = 0
    for rows in analytics.values():
        for (code, _, _), row in rows.items():
            if not row["numerator"]:
                assert row["value"].isdigit() and not row["denominator"]  # a count of reports
                continue
            factor = int(ITEMS[CODE_UID[code]]["factor"])
            assert float(row["factor"]) == factor and row["multiplier"] == str(factor)
            assert row["divisor"] == "1"
            expected = half_up(float(row["numerator"]) / float(row["denominator"]) * factor)
            assert float(row["value"]) == expected
            assert len(row["value"].split(".")[1]) <= 2
            checked += 1
    assert checked > 10_000


def test_data_value_sets_have_the_documented_shape(sample: tuple[Path, SampleManifest]) -> None:
    root, _ = sample
    for path in sorted((root / "dhis2").glob("datavalues_*")):
        text = path.read_text(encoding="utf-8")
        if path.suffix == ".json":
            payload = json.loads(text)
            assert list(payload) == ["dataValues"]
            values = payload["dataValues"]
            assert all(set(v) >= DVS_KEYS and isinstance(v["value"], str) for v in values)
            combos = {
                (v["dataElement"], v["orgUnit"], v["period"], v["categoryOptionCombo"])
                for v in values
            }
            assert len(combos) == len(values)
        else:
            header = text.splitlines()[0]
            assert header.startswith('"dataelement","period","orgunit",')
            assert header == header.lower() and header.count('"') == 2 * header.count(",") + 2
            assert ('"catoptcombo","attroptcombo"' in header) != (
                '"categoryoptioncombo","attributeoptioncombo"' in header
            )


def test_health_centres_are_disaggregated_by_two_or_three_combos(
    sample: tuple[Path, SampleManifest],
) -> None:
    root, _ = sample
    path = next((root / "dhis2").glob("datavalues_health_centres_*.json"))
    combos: dict[str, set[str]] = defaultdict(set)
    for v in json.loads(path.read_text())["dataValues"]:
        assert ORG_UNITS[v["orgUnit"]]["org_unit_level"] == "health_centre"
        combos[ITEMS[v["dataElement"]]["item_code"]].add(v["categoryOptionCombo"])
    assert {len(c) for c in combos.values()} >= {2, 3}
    assert len(combos["anc1_visits"]) == 2 and len(combos["postpartum_fp_acceptors"]) == 3


def test_district_numbers_are_the_sums_of_their_facilities(
    analytics: dict[str, dict[Key, dict[str, str]]], components: dict[Key, int]
) -> None:
    districts = monthly_rows(analytics, "districts")
    hospitals = monthly_rows(analytics, "hospitals")
    facilities: dict[str, list[str]] = defaultdict(list)
    for uid, unit in ORG_UNITS.items():
        if unit["org_unit_level"] != "district":
            facilities[unit["district_id"]].append(uid)
    parts = {r["item_code"]: r for r in seed_rows("dhis2_data_items.csv")}
    numerator_of = {r["numerator_of"]: c for c, r in parts.items() if r["numerator_of"]}
    denominator_of = {d: c for c, r in parts.items() for d in r["denominator_of"].split(";") if d}
    checked = 0
    for (code, period, uid), row in districts.items():
        if not row["numerator"] or code.startswith("hmis_"):
            continue
        members = facilities[ORG_UNITS[uid]["district_id"]]
        numerator = sum(components.get((numerator_of[code], period, f), 0) for f in members)
        numerator += sum(
            int(float(hospitals[(code, period, f)]["numerator"]))
            for f in members
            if (code, period, f) in hospitals
        )
        if code == "anc1_coverage_pct":  # population-based: the district's own data element
            denominator = components[("expected_pregnancies", period, uid)]
        else:
            denominator = sum(components.get((denominator_of[code], period, f), 0) for f in members)
            denominator += sum(
                int(float(hospitals[(code, period, f)]["denominator"]))
                for f in members
                if (code, period, f) in hospitals
            )
        assert float(row["numerator"]) == numerator and float(row["denominator"]) == denominator
        checked += 1
    assert checked == 30 * 36 * 5


def test_district_reports_count_every_facility(
    analytics: dict[str, dict[Key, dict[str, str]]],
) -> None:
    districts = monthly_rows(analytics, "districts")
    hospitals = monthly_rows(analytics, "hospitals")
    for (code, period, uid), row in districts.items():
        if code != "hmis_expected_reports":
            continue
        district = ORG_UNITS[uid]["district_id"]
        members = [
            u
            for u, r in ORG_UNITS.items()
            if r["district_id"] == district and r["org_unit_level"] != "district"
        ]
        assert int(row["value"]) == len(members)
        actual = int(districts[("hmis_actual_reports", period, uid)]["value"])
        on_time = int(districts[("hmis_actual_reports_on_time", period, uid)]["value"])
        own = sum(
            int(hospitals[("hmis_actual_reports", period, m)]["value"])
            for m in members
            if ("hmis_actual_reports", period, m) in hospitals
        )
        assert on_time <= actual <= len(members) and own <= actual


def test_longer_periods_sum_the_months(analytics: dict[str, dict[Key, dict[str, str]]]) -> None:
    for kind, names in (
        (
            "districts",
            ["analytics_districts_quarterly_2022.json", "analytics_districts_financial_july.json"],
        ),
        ("hospitals", ["analytics_hospitals_yearly.csv"]),
    ):
        monthly = monthly_rows(analytics, kind)
        for name in names:
            for (code, period, uid), row in analytics[name].items():
                column = "numerator" if row["numerator"] else "value"
                total = sum(float(monthly[(code, m, uid)][column]) for m in months(period))
                assert float(row[column]) == total, (name, code, period)


def test_the_manifest_effects_are_what_the_files_show(
    analytics: dict[str, dict[Key, dict[str, str]]], sample: tuple[Path, SampleManifest]
) -> None:
    _, manifest = sample
    rows = {**monthly_rows(analytics, "districts"), **monthly_rows(analytics, "hospitals")}
    uid_of = {
        (r["org_unit_level"], r["hospital_id"] or r["district_id"]): u for u, r in ORG_UNITS.items()
    }
    assert {t.topic for t in manifest.service_topics} == {
        "anc_first_visit",
        "birth_asphyxia",
        "malnutrition",
        "stock_outs",
        "family_planning",
        "data_quality",
    }
    anc = [t.item_code for t in manifest.service_topics if t.topic == "anc_first_visit"]
    assert anc == ["anc1_coverage_pct", "anc1_coverage_corrected_pct"]

    def window(code: str, uid: str, first: str, last: str) -> float:
        if code == "anc1_coverage_corrected_pct":  # DHIS2's visits over the census's pregnancies
            code = "anc1_coverage_pct"
            periods = [p for (c, p, u) in rows if c == code and u == uid and first <= p <= last]
            num = sum(float(rows[(code, p, uid)]["numerator"]) for p in periods)
            district = ORG_UNITS[uid]["district_id"]
            return num / sum(census_expected(district, p) for p in periods) * 100
        periods = [p for (c, p, u) in rows if c == code and u == uid and first <= p <= last]
        num = sum(float(rows[(code, p, uid)]["numerator"]) for p in periods)
        den = sum(float(rows[(code, p, uid)]["denominator"]) for p in periods)
        return num / den * int(ITEMS[CODE_UID[code]]["factor"])

    for topic in manifest.service_topics:
        before, after = (
            tuple(m.replace("-", "") for m in w)
            for w in (topic.baseline_months, topic.endline_months)
        )
        changes = {}
        for group, ids in (("focus", topic.focus), ("comparison", topic.comparison)):
            uids = [uid_of[(topic.level, i)] for i in ids]
            changes[group] = sum(
                window(topic.item_code, u, *after) - window(topic.item_code, u, *before)
                for u in uids
            ) / len(uids)
        shown = changes["focus"] - changes["comparison"]
        assert topic.achieved == pytest.approx(shown, abs=1e-3), topic.topic
        assert abs(shown - topic.effect) <= 0.3 * abs(topic.effect), (topic.topic, topic.level)
        assert len(topic.focus) >= 3 and len(topic.comparison) >= 3


def test_stale_anc_denominators_are_recorded(
    components: dict[Key, int], sample: tuple[Path, SampleManifest]
) -> None:
    root, manifest = sample
    uid_of = {
        r["district_id"]: u for u, r in ORG_UNITS.items() if r["org_unit_level"] == "district"
    }
    far = {}
    for district in load_districts(SEEDS):
        dhis2 = census = 0.0
        for month in months("2022July"):
            census += census_expected(district.district_id, month)
            dhis2 += components[("expected_pregnancies", month, uid_of[district.district_id])]
        far[district.district_id] = (dhis2 / census - 1) * 100
    recorded = {d.district_id: d for d in manifest.dhis2_anc_denominators}
    assert set(recorded) == {d for d, pct in far.items() if abs(pct) > 10}
    assert {d.direction for d in recorded.values()} == {"too_low", "too_high"}
    for district_id, stale in recorded.items():
        assert dict(stale.dhis2_vs_census_pct)["2022/23"] == pytest.approx(
            far[district_id], abs=0.01
        )
    stored = json.loads((root / "manifest.json").read_text())
    assert len(stored["dhis2_anc_denominators"]["stale_districts"]) == len(recorded)


def test_files_arrive_the_15th_after_their_last_period(sample: tuple[Path, SampleManifest]) -> None:
    root, _ = sample
    for path in (root / "dhis2").iterdir():
        if path.suffix == ".json" and path.name.startswith("analytics_"):
            last = json.loads(path.read_text())["metaData"]["dimensions"]["pe"][-1]
        elif path.name.startswith("analytics_"):
            last = max(line.split(",")[1] for line in path.read_text().splitlines()[1:])
        elif path.suffix == ".json":
            last = max(v["period"] for v in json.loads(path.read_text())["dataValues"])
        else:
            last = max(r["period"] for r in csv.DictReader(io.StringIO(path.read_text())))
        final = months(last)[-1]
        year, month = int(final[:4]), int(final[4:])
        arrival = dt.datetime(
            year + month // 12, month % 12 + 1, 15, 10, tzinfo=ZoneInfo("Africa/Kigali")
        )
        assert path.stat().st_mtime == arrival.timestamp(), path.name


def test_nothing_delivered_after_today_is_written(tmp_path: Path) -> None:
    manifest = generate_sample(tmp_path, seed=2024, today=dt.date(2022, 1, 10))
    periods = set()
    for name in manifest.files:
        if name.startswith("dhis2/analytics_") and name.endswith(".json"):
            periods |= set(
                json.loads((tmp_path / name).read_text())["metaData"]["dimensions"]["pe"]
            )
    monthly = sorted(p for p in periods if len(p) == 6 and p.isdigit())
    assert monthly[0] == "202007" and monthly[-1] == "202111"
    assert periods - set(monthly) == {"2020July"}
    assert all(t.achieved is None for t in manifest.service_topics)


def test_other_sample_files_are_unchanged(sample: tuple[Path, SampleManifest]) -> None:
    root, _ = sample
    lines = "".join(
        f"{p.relative_to(root).as_posix()} {hashlib.sha256(p.read_bytes()).hexdigest()}\n"
        for p in sorted(root.rglob("*"))
        if p.is_file() and p.name != "manifest.json" and p.parent.name != "dhis2"
    )
    assert hashlib.sha256(lines.encode()).hexdigest() == OTHER_FILES_DIGEST


def test_another_seed_draws_other_numbers(
    sample: tuple[Path, SampleManifest], tmp_path: Path
) -> None:
    root, manifest = sample
    other = generate_sample(tmp_path, seed=7, today=TODAY)
    name = "dhis2/analytics_hospitals_2021-22.csv"
    assert (root / name).read_bytes() != (tmp_path / name).read_bytes()
    assert other.service_topics != manifest.service_topics
