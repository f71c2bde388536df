"""The synthetic sample: reproducible, in the contract's formats, calibrated to the paper.

Every check reads the written files back (the way a loader would) rather than the generator's
internals, so a calibration that only holds in memory would fail here.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import re
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import openpyxl
import pytest

from tpn_metrics.reference import (
    district_resolver,
    hospital_resolver,
    load_districts,
    load_hospitals,
)
from tpn_metrics.sample import SampleManifest, generate_sample
from tpn_metrics.sample.anomalies import TARGET_JUMP, InjectedAnomaly
from tpn_metrics.settings import Settings

SEEDS = Settings().seeds_dir
TOPICS = {
    "accreditation",
    "cbhi_enrollment",
    "anc_first_visit",
    "birth_asphyxia",
    "malnutrition",
    "stock_outs",
    "family_planning",
    "data_quality",
}
EVENT_KINDS = {"launch_workshop", "coaching_visit", "exchange_visit", "learning_event"}
RSSB_ALIASES = {
    "report_date": ("report_date", "date", "week_ending", "reporting_date"),
    "district": ("district", "district_name", "akarere"),
    "target_population": ("target_population", "target", "expected_members", "population_target"),
    "members_paid": ("members_paid", "paid_members", "enrolled_members", "members"),
    "households_paid": ("households_paid", "paid_households", "households"),
    "amount_collected_rwf": (
        "amount_collected_rwf",
        "amount",
        "contributions_rwf",
        "collected_amount",
    ),
    "coverage_rate": ("coverage_rate", "coverage", "coverage_pct", "enrollment_rate"),
}
ACCREDITATION_ALIASES = {
    "survey_year": ("survey_year", "year"),
    "hospital": ("hospital", "hospital_name", "facility"),
    "district": ("district",),
    "hospital_category": ("hospital_category", "category", "type", "level"),
    "level_1_score": ("level_1_score", "l1", "level1"),
    "level_2_score": ("level_2_score", "l2", "level2"),
    "level_3_score": ("level_3_score", "l3", "level3"),
}
TOTAL_LABELS = {"total", "rwanda", "national", "grand total"}
COUNTS = ("target_population", "members_paid", "households_paid", "amount_collected_rwf")


def _key(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())


def _lookup(aliases: dict[str, tuple[str, ...]]) -> dict[str, str]:
    return {_key(alias): name for name, names in aliases.items() for alias in names}


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def read_rows(path: Path) -> list[list[str]]:
    if path.suffix == ".xlsx":
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
        sheet = workbook.worksheets[0]
        rows = [[_cell(v) for v in row] for row in sheet.iter_rows(values_only=True)]
        workbook.close()
        return rows
    text = path.read_bytes().decode("utf-8-sig")
    delimiter = ";" if text.splitlines()[0].count(";") > text.splitlines()[0].count(",") else ","
    return list(csv.reader(io.StringIO(text), delimiter=delimiter))


def read_table(path: Path, aliases: dict[str, tuple[str, ...]]) -> list[dict[str, str]]:
    """Records keyed by canonical column, the header found below any title rows."""
    lookup = _lookup(aliases)
    rows = read_rows(path)
    for index, row in enumerate(rows[:15]):
        names = [lookup.get(_key(cell)) for cell in row]
        if "district" in names and sum(n is not None for n in names) >= 3:
            return [
                {n: cells[i] if i < len(cells) else "" for i, n in enumerate(names) if n}
                for cells in rows[index + 1 :]
                if any(c.strip() for c in cells)
            ]
    raise AssertionError(f"{path.name}: no header row")


def parse_day(text: str) -> dt.date:
    for pattern in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return dt.datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    raise AssertionError(f"not a date: {text!r}")


def fiscal_year(day: dt.date) -> int:
    return day.year if day.month >= 7 else day.year - 1


def all_fridays() -> list[dt.date]:
    day, out = dt.date(2020, 7, 3), []
    while day <= dt.date(2023, 6, 30):
        out.append(day)
        day += dt.timedelta(days=7)
    return out


def true_eligible(district_id: str, fy: int) -> float:
    district = next(d for d in load_districts(SEEDS) if d.district_id == district_id)
    d0, d1 = dt.date(2012, 8, 15), dt.date(2022, 8, 15)
    f = (dt.date(fy + 1, 1, 1) - d0).days / (d1 - d0).days
    ratio = district.population_2022 / district.population_2012
    return district.population_2012 * ratio**f * 0.9


def sha256_tree(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


@dataclass(frozen=True)
class Weekly:
    """Everything the weekly files say, per (report date, district id)."""

    rows: dict[tuple[dt.date, str], dict[str, int]]
    totals: int


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, SampleManifest]:
    out = tmp_path_factory.mktemp("sample_a")
    return out, generate_sample(out, seed=2024)


def injected(manifest: SampleManifest, measure: str) -> InjectedAnomaly:
    (anomaly,) = [a for a in manifest.anomalies if a.measure == measure]
    return anomaly


@pytest.fixture(scope="module")
def weekly(sample: tuple[Path, SampleManifest]) -> Weekly:
    """The files read back; only the anomalies the manifest records break the rules."""
    root, manifest = sample
    coverage_cell = injected(manifest, "coverage_rate")
    missing = injected(manifest, "district_missing")
    resolver = district_resolver(SEEDS)
    rows: dict[tuple[dt.date, str], dict[str, int]] = {}
    totals = 0
    for path in sorted((root / "rssb_weekly").iterdir()):
        records = read_table(path, RSSB_ALIASES)
        days = {parse_day(r["report_date"]) for r in records}
        assert len(days) == 1, path.name
        (day,) = days
        districts: dict[str, dict[str, int]] = {}
        total: dict[str, int] | None = None
        for record in records:
            counts = {c: int(record[c]) for c in COUNTS if c in record}
            is_total = record["district"].strip().lower() in TOTAL_LABELS
            district_id = None if is_total else resolver.resolve(record["district"])
            if "coverage_rate" in record:
                expected = round(counts["members_paid"] / counts["target_population"] * 100, 1)
                if (day, district_id) == (coverage_cell.report_date, coverage_cell.district_id):
                    assert expected == coverage_cell.usual_value
                    expected = coverage_cell.injected_value
                assert float(record["coverage_rate"]) == pytest.approx(expected), path.name
            if district_id is None:
                total = counts
                continue
            assert district_id not in districts, f"{path.name}: {district_id} twice"
            districts[district_id] = counts
        if day == missing.report_date:
            assert len(districts) == 29 and missing.district_id not in districts, path.name
        else:
            assert len(districts) == 30, path.name
        if total is not None:
            totals += 1
            for column, value in total.items():
                assert value == sum(d[column] for d in districts.values()), path.name
        for district_id, counts in districts.items():
            assert (day, district_id) not in rows, f"second file for {day}"
            rows[(day, district_id)] = counts
    return Weekly(rows, totals)


@pytest.fixture(scope="module")
def registry(sample: tuple[Path, SampleManifest]) -> dict[str, list[dict[str, str]]]:
    root, _ = sample
    out = {}
    for name in ("institutions", "priorities", "strengths", "pairs", "events"):
        with (root / "registry" / f"{name}.csv").open(newline="", encoding="utf-8") as handle:
            out[name] = list(csv.DictReader(handle))
    return out


def focus_sets(registry: dict[str, list[dict[str, str]]], topic: str) -> tuple[set[str], set[str]]:
    """(districts, hospitals) in focus for ``topic``, by the warehouse's rule on the files."""
    choosers = {p["institution_id"] for p in registry["priorities"] if p["topic"] == topic}
    districts, own = set(), set()
    for institution in registry["institutions"]:
        if institution["institution_id"] not in choosers:
            continue
        if institution["kind"] == "district":
            districts.add(district_resolver(SEEDS).resolve(institution["district"]))
        else:
            own.add(hospital_resolver(SEEDS).resolve(institution["name"]))
    hospitals = {
        h.hospital_id
        for h in load_hospitals(SEEDS)
        if h.district_id in districts or h.hospital_id in own
    }
    return districts, hospitals


@pytest.fixture(scope="module")
def accreditation(sample: tuple[Path, SampleManifest]) -> dict[int, dict[str, dict[str, str]]]:
    root, _ = sample
    resolver = hospital_resolver(SEEDS)
    out: dict[int, dict[str, dict[str, str]]] = {}
    for year, name in (
        (2021, "moh_accreditation_2021.xlsx"),
        (2022, "moh_accreditation_2022.csv"),
        (2023, "moh_accreditation_2023.xlsx"),
    ):
        records = read_table(root / "accreditation" / name, ACCREDITATION_ALIASES)
        by_hospital: dict[str, dict[str, str]] = {}
        for record in records:
            assert int(record["survey_year"]) == year
            hospital_id = resolver.resolve(record["hospital"])
            assert hospital_id not in by_hospital, f"{name}: {hospital_id} twice"
            by_hospital[hospital_id] = record
        out[year] = by_hospital
    return out


def test_same_seed_gives_byte_identical_files(
    sample: tuple[Path, SampleManifest], tmp_path: Path
) -> None:
    root, _ = sample
    generate_sample(tmp_path, seed=2024)
    assert sha256_tree(tmp_path) == sha256_tree(root)


def test_another_seed_gives_other_data(sample: tuple[Path, SampleManifest], tmp_path: Path) -> None:
    root, manifest = sample
    other = generate_sample(tmp_path, seed=7)
    ours = set(sha256_tree(root / "rssb_weekly").values())
    theirs = set(sha256_tree(tmp_path / "rssb_weekly").values())
    assert not ours & theirs
    assert other.focus_groups != manifest.focus_groups


def test_regenerating_with_another_seed_leaves_no_old_weekly_files(tmp_path: Path) -> None:
    generate_sample(tmp_path, seed=1)
    manifest = generate_sample(tmp_path, seed=2)
    on_disk = {p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if p.is_file()}
    assert on_disk == {*manifest.files, "manifest.json"}


def test_one_file_per_friday_in_a_mix_of_formats(sample: tuple[Path, SampleManifest]) -> None:
    root, _ = sample
    files = sorted((root / "rssb_weekly").iterdir())
    assert len(files) == len(all_fridays()) == 157
    xlsx = [p for p in files if p.suffix == ".xlsx"]
    csvs = [p for p in files if p.suffix == ".csv"]
    bom = [p for p in csvs if p.read_bytes().startswith(b"\xef\xbb\xbf")]
    assert len(xlsx) + len(csvs) == len(files)
    assert 0.28 < len(xlsx) / len(files) < 0.4
    assert 0.4 < (len(csvs) - len(bom)) / len(files) < 0.6
    assert bom and all(p.read_bytes()[3:].split(b"\r\n")[0].count(b";") >= 3 for p in bom)
    titled = [p for p in xlsx if read_rows(p)[0][0].startswith("RSSB")]
    assert 0 < len(titled) < len(xlsx)
    for path in files:
        assert "/" not in path.name and "\\" not in path.name and ".." not in path.name
        assert re.search(r"\d{4}", path.name)


def test_headers_names_and_dates_vary(sample: tuple[Path, SampleManifest]) -> None:
    root, _ = sample
    headers: set[str] = set()
    labels: set[str] = set()
    for path in (root / "rssb_weekly").iterdir():
        rows = read_rows(path)
        header_index = next(i for i, r in enumerate(rows) if len([c for c in r if c]) >= 4)
        headers.update(_key(c) for c in rows[header_index] if c)
        labels.update(r[0] + "|" + r[1] for r in rows[header_index + 1 :] if r)
    assert {"akarere", "weekending", "expectedmembers", "paidmembers", "coveragepct"} <= headers
    assert {"reportdate", "district", "targetpopulation", "memberspaid"} <= headers
    text = " ".join(labels)
    assert "Gasabo District" in text and "GASABO" in text and re.search(r"\d\d/\d\d/20\d\d", text)
    assert text.count(" DH") <= 3


def test_weekly_files_read_back_with_totals(weekly: Weekly) -> None:
    assert {day for day, _ in weekly.rows} == set(all_fridays())
    assert 0 < weekly.totals < 157


def test_counts_grow_within_each_year_but_for_one_correction(
    sample: tuple[Path, SampleManifest], weekly: Weekly
) -> None:
    _, manifest = sample
    drops = set()
    for district in {d for _, d in weekly.rows}:
        previous: dict[str, int] | None = None
        for day in all_fridays():
            if (day, district) not in weekly.rows:  # the injected missing district
                continue
            counts = weekly.rows[(day, district)]
            if previous is None or fiscal_year(day) != fiscal_year(day - dt.timedelta(days=7)):
                # A fiscal year restarts near zero.
                assert counts["members_paid"] < 0.05 * counts["target_population"]
            else:
                for column in ("members_paid", "households_paid", "amount_collected_rwf"):
                    if (
                        column in counts
                        and column in previous
                        and counts[column] < previous[column]
                    ):
                        drops.add((district, day, column))
                if counts["members_paid"] < previous["members_paid"]:
                    ratio = counts["members_paid"] / previous["members_paid"]
                    assert 0.97 <= ratio <= 0.99
            previous = counts
    correction = manifest.rssb_correction
    assert {(d, day) for d, day, _ in drops} == {(correction.district_id, correction.report_date)}


def test_targets_are_fixed_within_a_year_and_respect_the_cap(weekly: Weekly) -> None:
    targets: dict[tuple[str, int], set[int]] = defaultdict(set)
    for (day, district), counts in weekly.rows.items():
        targets[(district, fiscal_year(day))].add(counts["target_population"])
        assert counts["members_paid"] <= 1.5 * counts["target_population"]
    assert all(len(values) == 1 for values in targets.values())
    for district in {d for d, _ in targets}:
        assert len({next(iter(targets[(district, fy)])) for fy in (2020, 2021, 2022)}) == 3


def test_only_the_stale_districts_have_targets_far_from_the_truth(
    sample: tuple[Path, SampleManifest], weekly: Weekly
) -> None:
    _, manifest = sample
    stale = {s.district_id: s.direction for s in manifest.stale_target_districts}
    assert len(stale) == 7
    assert {"too_low", "too_high"} == set(stale.values())
    jump = injected(manifest, "target_growth")
    far = set()
    for (day, district), counts in weekly.rows.items():
        off = counts["target_population"] / true_eligible(district, fiscal_year(day)) - 1
        if district == jump.district_id and fiscal_year(day) == jump.report_date.year:
            # The injected target jump: well above the truth, yet not a stale target.
            assert off == pytest.approx(TARGET_JUMP, abs=0.0005)
        elif abs(off) > 0.10:
            far.add(district)
            assert 0.15 <= abs(off) <= 0.35
            assert (off < 0) == (stale[district] == "too_low")
        else:
            assert abs(off) <= 0.03
    assert far == set(stale)
    over_100 = {
        d for (_, d), c in weekly.rows.items() if c["members_paid"] > c["target_population"]
    }
    assert len(over_100) >= 3
    assert over_100 <= {d for d, s in stale.items() if s == "too_low"}


def test_final_coverage_of_the_true_population_is_plausible(weekly: Weekly) -> None:
    last = {fy: max(d for d, _ in weekly.rows if fiscal_year(d) == fy) for fy in (2020, 2021, 2022)}
    for (day, district), counts in weekly.rows.items():
        if day in last.values():
            coverage = counts["members_paid"] / true_eligible(district, fiscal_year(day))
            assert 0.7 <= coverage <= 0.97


def test_cbhi_coverage_change_matches_the_paper(
    weekly: Weekly, registry: dict[str, list[dict[str, str]]]
) -> None:
    focus, _ = focus_sets(registry, "cbhi_enrollment")
    assert len(focus) == 8
    start, end = dt.date(2021, 3, 26), dt.date(2023, 3, 24)

    def change(district: str) -> float:
        before, after = weekly.rows[(start, district)], weekly.rows[(end, district)]
        return (
            after["members_paid"] / after["target_population"]
            - before["members_paid"] / before["target_population"]
        ) * 100

    districts = {d for _, d in weekly.rows}
    focus_mean = sum(change(d) for d in focus) / len(focus)
    comparison_mean = sum(change(d) for d in districts - focus) / (len(districts) - len(focus))
    assert focus_mean == pytest.approx(6.6, abs=0.05)
    assert comparison_mean == pytest.approx(3.0, abs=0.05)


def test_accreditation_files_cover_the_evaluation_set(
    accreditation: dict[int, dict[str, dict[str, str]]],
) -> None:
    categories = {h.hospital_id: h.hospital_category for h in load_hospitals(SEEDS)}
    for year, by_hospital in accreditation.items():
        evaluated = [h for h in by_hospital if categories[h] in {"district", "provincial"}]
        assert len(evaluated) == 38, year
        assert {categories[h] for h in by_hospital} == {
            "district",
            "provincial",
            "referral",
            "teaching",
        }
        assert set(by_hospital) == set(accreditation[2021])
        scale = 1.0 if year == 2022 else 100.0
        values = [
            float(r[c])
            for r in by_hospital.values()
            for c in ("level_1_score", "level_2_score", "level_3_score")
            if r.get(c, "").strip()
        ]
        assert all(0 <= v <= scale for v in values), year
        if year == 2022:
            assert max(values) <= 1.0
        else:
            assert max(values) > 1.0
        assert any(not r.get("level_3_score", "").strip() for r in by_hospital.values())
        for record in by_hospital.values():
            l1, l2 = float(record["level_1_score"]), float(record["level_2_score"])
            assert l1 >= l2
            if record.get("level_3_score", "").strip():
                assert l2 >= float(record["level_3_score"])
    names = {r["hospital"] for r in accreditation[2023].values()} | {
        r["hospital"] for r in accreditation[2021].values()
    }
    canonical = {h.hospital_name for h in load_hospitals(SEEDS)}
    assert names - canonical, "some hospitals should be written by an alias or with a suffix"


def test_accreditation_change_matches_the_paper(
    accreditation: dict[int, dict[str, dict[str, str]]],
    registry: dict[str, list[dict[str, str]]],
) -> None:
    _, in_focus = focus_sets(registry, "accreditation")
    categories = {h.hospital_id: h.hospital_category for h in load_hospitals(SEEDS)}
    evaluated = {h for h in accreditation[2021] if categories[h] in {"district", "provincial"}}
    focus, comparison = evaluated & in_focus, evaluated - in_focus
    assert len(focus) == len(comparison) == 19

    def level_2(year: int, hospital: str) -> float:
        return float(accreditation[year][hospital]["level_2_score"])

    def mean_change(group: set[str]) -> float:
        return sum(level_2(2023, h) - level_2(2021, h) for h in group) / len(group)

    assert mean_change(focus) == pytest.approx(7.8, abs=0.05)
    assert mean_change(comparison) == pytest.approx(2.2, abs=0.05)
    baseline = {
        g: sum(level_2(2021, h) for h in s) / 19 for g, s in (("f", focus), ("c", comparison))
    }
    assert baseline["c"] - baseline["f"] >= 3
    changes = [level_2(2023, h) - level_2(2021, h) for h in evaluated]
    assert any(c < 0 for c in changes) and any(abs(c) < 1e-9 for c in changes)
    # The 2022 file is in fractions: its level 2 lies between the other years' on average.
    middle = sum(level_2(2022, h) * 100 for h in focus) / 19
    assert baseline["f"] < middle < baseline["f"] + 7.8


def test_registry_is_consistent(registry: dict[str, list[dict[str, str]]]) -> None:
    institutions = {i["institution_id"]: i for i in registry["institutions"]}
    hospital_names = {h.hospital_name for h in load_hospitals(SEEDS)}
    kinds = [i["kind"] for i in institutions.values()]
    assert kinds.count("district") == 30 and kinds.count("hospital") == 10
    for institution in institutions.values():
        assert institution["is_tpn_member"] == "true"
        assert institution["joined_on"].startswith("2021-")
        if institution["kind"] == "district":
            assert institution["institution_id"].startswith("DHMT-")
            assert institution["name"] == f"{institution['district']} DHMT"
        else:
            assert institution["name"] in hospital_names and institution["hospital_category"]
    ranks: dict[str, list[int]] = defaultdict(list)
    for priority in registry["priorities"]:
        assert priority["topic"] in TOPICS
        ranks[priority["institution_id"]].append(int(priority["rank"]))
    assert set(ranks) == set(institutions)
    assert all(sorted(r) in ([1, 2], [1, 2, 3]) for r in ranks.values())
    strengths = {(s["institution_id"], s["topic"]) for s in registry["strengths"]}
    assert registry["pairs"]
    for pair in registry["pairs"]:
        assert pair["rising_id"] != pair["shining_id"]
        assert (pair["shining_id"], pair["topic"]) in strengths
        assert pair["rising_id"] in institutions
    assert {e["kind"] for e in registry["events"]} == EVENT_KINDS
    for event in registry["events"]:
        assert set(event["institution_ids"].split(";")) <= set(institutions)
        assert event["topic"] in TOPICS


def test_manifest_records_what_was_written(sample: tuple[Path, SampleManifest]) -> None:
    root, manifest = sample
    stored = json.loads((root / "manifest.json").read_text(encoding="utf-8"))
    assert [f["path"] for f in stored["files"]] == list(manifest.files)
    on_disk = sha256_tree(root)
    assert all(on_disk[f["path"]] == f["sha256"] for f in stored["files"])
    assert len(stored["stale_target_districts"]) == 7
    for figure in manifest.calibration:
        assert figure.achieved == pytest.approx(figure.target, abs=0.05)
    groups = {g.topic: g for g in manifest.focus_groups}
    assert len(groups["accreditation"].focus) == 19 and len(groups["cbhi_enrollment"].focus) == 8
    assert [f for f in stored["files"] if f["path"].startswith("dhis2/")]
    service_keys = {
        "topic", "item_code", "level", "effect", "effect_unit", "unit", "focus", "comparison",
        "baseline_months", "endline_months", "achieved",
    }  # fmt: skip
    assert all(set(t) == service_keys for t in stored["service_topics"])
    assert {(t["topic"], t["level"]) for t in stored["service_topics"]} >= {
        ("anc_first_visit", "district"),
        ("data_quality", "hospital"),
    }
    for topic in stored["service_topics"]:
        assert set(topic["focus"]).isdisjoint(topic["comparison"]) and topic["achieved"] is not None
    stale = stored["dhis2_anc_denominators"]
    assert stale["stale_growth_per_year"] > 0 and stale["stale_districts"]
    assert set(stored["reference_sha256"]) >= {"dhis2_org_units.csv", "dhis2_data_items.csv"}


def test_nothing_dated_after_today_is_written(tmp_path: Path) -> None:
    today = dt.date(2022, 1, 10)
    manifest = generate_sample(tmp_path, today=today)
    weekly = [f for f in manifest.files if f.startswith("rssb_weekly/")]
    assert len(weekly) == sum(1 for d in all_fridays() if d <= today)
    assert [f for f in manifest.files if f.startswith("accreditation/")] == [
        "accreditation/moh_accreditation_2021.xlsx"
    ]
    assert manifest.cut_off == today
    assert all(f.achieved is None for f in manifest.calibration)
