"""A DHIS2 export parsed, resolved and checked (``parse_dhis2``), and refused with reasons.

Fixtures (tests/fixtures/ingest/dhis2/) are written to the shapes documented in dhis2/dhis2-docs
``src/developer/web-api/analytics.md`` § "Response formats" and § "Request query parameters"
(``includeNumDen``, ``hierarchyMeta`` → ``metaData.ouHierarchy``), and ``data.md`` § "Reading
data values" / § "CSV data value format" (dataValueSets JSON and CSV); the analytics CSV header
is dhis2-core ``GridUtils.toCsv``'s (display columns ``Data,Period,Organisation unit,Value``).
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from tpn_metrics.ingest.dhis2 import LANDING_COLUMNS, parse_dhis2
from tpn_metrics.ingest.errors import FileRejectedError, ValidationCrashError
from tpn_metrics.ingest.parsed import ParsedFile
from tpn_metrics.ingest.validation import FrameValidator
from tpn_metrics.settings import Settings
from tpn_metrics.warehouse import ensure_landing_schema

SEEDS = Settings().seeds_dir
GOOD = ("analytics.json", "analytics.csv", "data_value_set.json", "data_value_set.csv")
# What every format must land the same way (format, names, combos and line numbers differ).
SAME = [
    "data_item_uid",
    "item_code",
    "period_id",
    "period_type",
    "period_start",
    "period_end",
    "org_unit_uid",
    "org_unit_level",
    "district_id",
    "hospital_id",
    "value",
]


@pytest.fixture(scope="module")
def validate(tmp_path_factory: pytest.TempPathFactory) -> FrameValidator:
    return FrameValidator(
        Settings().expectations_dir, tmp_path_factory.mktemp("gx"), dt.date(2026, 11, 23)
    )


@pytest.fixture
def dhis2(fixtures: Path) -> Path:
    return fixtures / "ingest" / "dhis2"


def parse(path: Path, validate: FrameValidator) -> ParsedFile:
    return parse_dhis2(path, seeds_dir=SEEDS, validate=validate)


def frame_of(parsed: ParsedFile) -> pd.DataFrame:
    return parsed.tables["dhis2_data_values"]


def refusal(path: Path, validate: FrameValidator) -> list[str]:
    with pytest.raises(FileRejectedError) as refused:
        parse(path, validate)
    return refused.value.reasons


def test_every_format_lands_the_same_rows(dhis2: Path, validate: FrameValidator):
    landed = {}
    for name in GOOD:
        parsed = parse(dhis2 / name, validate)
        assert parsed.period_key == "202303..202304"
        frame = frame_of(parsed)
        assert list(frame.columns) == list(LANDING_COLUMNS)
        assert set(frame["source_format"]) == {parsed.details["format"]}
        rows = frame[SAME].astype(object).where(frame[SAME].notna(), None)
        landed[name] = sorted(map(tuple, rows.itertuples(index=False)))
    first = landed["analytics.json"]
    assert all(rows == first for rows in landed.values())
    assert first == [
        ("wwBgX6KyNyx", "anc1_visits", "202303", "Monthly", dt.date(2023, 3, 1),
         dt.date(2023, 3, 31), "R9ajekTlcmy", "hospital", "nyarugenge", "nyarugenge_dh", 120.0),
        ("wwBgX6KyNyx", "anc1_visits", "202303", "Monthly", dt.date(2023, 3, 1),
         dt.date(2023, 3, 31), "XOVMRuNHG6z", "district", "gasabo", None, 412.0),
        ("wwBgX6KyNyx", "anc1_visits", "202304", "Monthly", dt.date(2023, 4, 1),
         dt.date(2023, 4, 30), "R9ajekTlcmy", "hospital", "nyarugenge", "nyarugenge_dh", 131.0),
        ("wwBgX6KyNyx", "anc1_visits", "202304", "Monthly", dt.date(2023, 4, 1),
         dt.date(2023, 4, 30), "XOVMRuNHG6z", "district", "gasabo", None, 398.0),
    ]  # fmt: skip


def test_landing_columns_are_the_warehouse_table(tmp_path: Path):
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    ensure_landing_schema(con)
    columns = [r[0] for r in con.execute("describe landing.dhis2_data_values").fetchall()]
    con.close()
    assert sorted(columns) == sorted(
        [*LANDING_COLUMNS, "file_sha256", "loaded_at", "is_superseded"]
    )


def test_num_den_reporting_rates_and_a_health_centre_placed_by_its_hierarchy(
    dhis2: Path, validate: FrameValidator
):
    parsed = parse(dhis2 / "analytics_numden_hierarchy.json", validate)
    assert parsed.period_key == "202303"
    frame = frame_of(parsed).set_index("org_unit_uid", drop=False)
    coverage = frame[frame["item_code"] == "anc1_coverage_pct"].iloc[0]
    assert (coverage["value"], coverage["numerator"], coverage["denominator"]) == (
        15.6,
        412.0,
        2637.5,
    )
    rate = frame[frame["item_code"] == "hmis_reporting_rate_pct"].iloc[0]
    assert (rate["data_item_uid"], rate["numerator"], rate["denominator"]) == (
        "rL0pkYzEWu3.REPORTING_RATE",
        26.0,
        27.0,
    )
    # Kinyinya Health Centre is not in the seed: its ouHierarchy ancestor is Gasabo District.
    centre = frame.loc["Kd8XhUyF6Tq"]
    assert (centre["org_unit_level"], centre["district_id"], centre["value"]) == (
        "health_centre",
        "gasabo",
        57.0,
    )
    assert pd.isna(centre["hospital_id"])
    assert centre["org_unit_name_received"] == "Kinyinya Health Centre"
    # An unknown uid whose metaData name is a hospital of ours resolves by name, not hierarchy.
    hospital = frame.loc["zzKibagab01"]
    assert (hospital["org_unit_level"], hospital["hospital_id"]) == ("hospital", "kibagabaga")
    assert any("1 org unit(s) not in dhis2_org_units.csv" in w for w in parsed.warnings)


def test_legacy_names_financial_july_quarter_and_year(dhis2: Path, validate: FrameValidator):
    parsed = parse(dhis2 / "analytics_legacy_names.json", validate)
    frame = frame_of(parsed).set_index("period_id")
    assert frame.loc["2022July", ["period_type", "period_start", "period_end"]].tolist() == [
        "FinancialJuly",
        dt.date(2022, 7, 1),
        dt.date(2023, 6, 30),
    ]
    assert set(frame["district_id"]) == {"huye"}
    assert set(frame["item_code"]) == {"sam_cure_rate_pct"}
    # First and last period by start date: 2022 (1 Jan 2022) .. 2023Q1 (1 Jan 2023).
    assert parsed.period_key == "2022..2023Q1"


def test_unknown_org_unit_names_it_its_uid_and_the_fix(dhis2: Path, validate: FrameValidator):
    (reason,) = refusal(dhis2 / "bad_unknown_org_unit.json", validate)
    assert reason == (
        "org unit 'Kinyinya Health Centre' (uid Kd8XhUyF6Tq) is not in dhis2_org_units.csv, its "
        "name matches no district or hospital, and the export has no hierarchy for it: export "
        "with hierarchyMeta=true (analytics JSON, so metaData.ouHierarchy names its district), "
        "or add it to dhis2_org_units.csv (rows 1–2)"
    )


def test_unknown_data_item_is_named_once_with_its_lines(dhis2: Path, validate: FrameValidator):
    (reason,) = refusal(dhis2 / "bad_unknown_item.csv", validate)
    assert reason == (
        "unknown data element or indicator 'XyZ12345678': add it to dhis2_data_items.csv or "
        "remove it from the export (lines 2, 4)"
    )


def test_bad_periods_are_named_with_valid_examples(dhis2: Path, validate: FrameValidator):
    reasons = refusal(dhis2 / "bad_period.csv", validate)
    assert len(reasons) == 3
    assert reasons[0].startswith("period '2023-03' is not a DHIS2 period id; valid ids look like")
    assert "202303 (Monthly)" in reasons[0] and "2022July (FinancialJuly)" in reasons[0]
    assert reasons[0].endswith("(line 2)")
    assert reasons[1].startswith("period '202313' names month 13")
    assert reasons[2].startswith("period '2023Q5' names quarter 5")


def test_values_that_are_not_numbers(dhis2: Path, validate: FrameValidator):
    assert refusal(dhis2 / "bad_value.json", validate) == [
        "value 'abc' is not a number (dataValue 2)",
        "value '1,204' is not a number (dataValue 3)",  # DHIS2 writes '.' decimals, no commas
    ]


def test_a_file_without_values(dhis2: Path, validate: FrameValidator):
    (reason,) = refusal(dhis2 / "bad_empty.json", validate)
    assert reason.startswith("the file holds no data values")


def test_every_problem_of_a_file_in_one_refusal(dhis2: Path, validate: FrameValidator):
    reasons = refusal(dhis2 / "bad_many.csv", validate)
    assert len(reasons) == 4
    assert reasons[0].startswith("org unit uid Qq1NotThere is not in dhis2_org_units.csv")
    assert reasons[0].endswith("(lines 2, 6)")
    assert reasons[1].startswith("unknown data element or indicator 'XyZ12345678'")
    assert reasons[2].startswith("period '2023-03' is not a DHIS2 period id")
    assert reasons[3] == "value 'abc' is not a number (line 5)"


def _analytics(tmp_path: Path, rows: list[list[str]], meta: dict[str, object]) -> Path:
    path = tmp_path / "export.json"
    headers = [{"name": n, "column": c} for n, c in (
        ("dx", "Data"), ("pe", "Period"), ("ou", "Organisation unit"), ("value", "Value")
    )]  # fmt: skip
    path.write_text(json.dumps({"headers": headers, "metaData": meta, "rows": rows}))
    return path


def test_a_health_centre_named_after_its_district_is_not_the_district(
    tmp_path: Path, validate: FrameValidator
):
    # "Kicukiro HC" is two edits from "Kicukiro": never read as the district by name.
    path = _analytics(
        tmp_path,
        [["wwBgX6KyNyx", "202303", "hcKicukiro1", "40"]],
        {"items": {"hcKicukiro1": {"name": "Kicukiro HC"}}},
    )
    (reason,) = refusal(path, validate)
    assert reason.startswith("org unit 'Kicukiro HC' (uid hcKicukiro1) is not in")


def test_a_hierarchy_without_a_district_is_reported_not_guessed(
    tmp_path: Path, validate: FrameValidator
):
    path = _analytics(
        tmp_path,
        [["wwBgX6KyNyx", "202303", "hcSomewhere", "40"]],
        {
            "items": {"hcSomewhere": {"name": "Somewhere HC"}, "Hjw70Lodtf2": {"name": "Rwanda"}},
            "ouHierarchy": {"hcSomewhere": "/Hjw70Lodtf2/zzUnknown01"},
        },
    )
    (reason,) = refusal(path, validate)
    assert "none of its ancestors in the export's hierarchy (Rwanda / zzUnknown01)" in reason


def test_the_same_value_twice_in_one_file_is_refused(tmp_path: Path, validate: FrameValidator):
    path = _analytics(
        tmp_path,
        [
            ["wwBgX6KyNyx", "202303", "XOVMRuNHG6z", "412"],
            ["wwBgX6KyNyx", "202303", "XOVMRuNHG6z", "413"],
        ],
        {"items": {"XOVMRuNHG6z": {"name": "Gasabo District"}}},
    )
    assert refusal(path, validate) == [
        "anc1_visits for Gasabo District, 202303 is given 2 times (rows 1–2): send each value once"
    ]


def test_a_data_element_operand_keeps_its_category_option_combo(
    tmp_path: Path, validate: FrameValidator
):
    path = _analytics(tmp_path, [["wwBgX6KyNyx.aaaaaaaaaa1", "202303", "XOVMRuNHG6z", "9"]], {})
    row = frame_of(parse(path, validate)).iloc[0]
    assert (row["data_item_uid"], row["category_option_combo_uid"]) == (
        "wwBgX6KyNyx",
        "aaaaaaaaaa1",
    )


def test_suite_failures_are_reasons_and_a_broken_frame_is_a_crash(
    dhis2: Path, validate: FrameValidator
):
    frame = frame_of(parse(dhis2 / "analytics.json", validate)).copy()
    frame.loc[0, "org_unit_level"] = "province"
    frame.loc[1, "period_end"] = dt.date(2023, 1, 1)
    reasons = validate("dhis2_data_values", frame)
    assert any("has level 'province'" in r for r in reasons), reasons
    assert any("period 202304 ends (2023-01-01) before it starts" in r for r in reasons), reasons
    with pytest.raises(ValidationCrashError):
        validate("dhis2_data_values", frame.drop(columns=["period_start"]))


def test_deleted_and_empty_entries_are_counted_not_loaded(tmp_path: Path, validate: FrameValidator):
    path = tmp_path / "dataValueSets.json"
    values = [
        {"dataElement": "wwBgX6KyNyx", "value": "5"},
        {"dataElement": "TwZnTN5rqp4", "value": "9", "deleted": True},
        {"dataElement": "nyJD2OrH0y9", "value": ""},
    ]
    path.write_text(
        json.dumps({"period": "202303", "orgUnit": "XOVMRuNHG6z", "dataValues": values})
    )
    parsed = parse(path, validate)
    assert frame_of(parsed)["item_code"].tolist() == ["anc1_visits"]
    assert parsed.warnings == (
        "1 deleted value(s) not loaded",
        "1 entries without a value not loaded",
    )
    path.write_text(
        json.dumps({"period": "202303", "orgUnit": "XOVMRuNHG6z", "dataValues": values[1:]})
    )
    assert refusal(path, validate) == [
        "the file holds no data values (2 entries deleted or without a value): export a period "
        "and org units that have data"
    ]


# Review #22 P2-7, P1-5, P1-6: numbers, DHIS2's factor, one org-unit level per file.
def test_negative_and_oddly_written_numbers_are_refused(tmp_path: Path, validate: FrameValidator):
    path = tmp_path / "values.csv"
    path.write_text(
        "dataelement,period,orgunit,catoptcombo,attroptcombo,value\n"
        "hAn5xHe0lFz,202303,XOVMRuNHG6z,HllvX50cXC0,HllvX50cXC0,-5\n"
        "nyJD2OrH0y9,202303,XOVMRuNHG6z,HllvX50cXC0,HllvX50cXC0,1_000\n"
        "wwBgX6KyNyx,202303,XOVMRuNHG6z,HllvX50cXC0,HllvX50cXC0,NaN\n"
        "wwBgX6KyNyx,202304,XOVMRuNHG6z,HllvX50cXC0,HllvX50cXC0,１２\n",
        encoding="utf-8",
    )
    assert refusal(path, validate) == [
        "value '-5' is negative: counts, rates and percentages are never negative (line 2)",
        "value '1_000' is not a number (line 3)",
        "value 'NaN' is not a number (line 4)",
        "value '１２' is not a number (line 5)",
    ]


NUM_DEN = ("value", "numerator", "denominator", "factor", "multiplier", "divisor")


def _num_den(tmp_path: Path, rows: list[list[str]]) -> Path:
    path = tmp_path / "num_den.json"
    names = [("dx", "Data"), ("pe", "Period"), ("ou", "Organisation unit")]
    names += [(n, n.title()) for n in NUM_DEN]
    headers = [{"name": n, "column": c} for n, c in names]
    path.write_text(json.dumps({"headers": headers, "metaData": {"items": {}}, "rows": rows}))
    return path


def test_an_annualized_indicator_lands_on_the_seeds_factor_with_a_warning(
    tmp_path: Path, validate: FrameValidator
):
    # March: DHIS2 factor 100 × 365 / 31, the year's denominator 30,144 (hand-computed:
    # 2400 / 30144 × 1177.42 = 93.74; den' = 30144 × 31 / 365 = 2560.175).
    rows = [
        ["zJOzV4PID5L", "202303", "XOVMRuNHG6z", "93.7", "2400", "30144", "1177.4", "36500", "31"],
        ["zJOzV4PID5L", "202303", "RYPqMCEUkk9", "50.62", "122", "241", "100", "100", "1"],
    ]
    parsed = parse(_num_den(tmp_path, rows), validate)
    frame = frame_of(parsed).set_index("org_unit_uid")
    assert frame.loc["XOVMRuNHG6z", "denominator"] == pytest.approx(2560.17534, rel=1e-8)
    assert frame.loc["XOVMRuNHG6z", "value"] == 93.7
    assert frame.loc["RYPqMCEUkk9", "denominator"] == 241.0
    (warning,) = parsed.warnings
    assert warning.startswith(
        "anc1_coverage_pct (zJOzV4PID5L): DHIS2 exported factor 1177.42, not 100 as in "
        "dhis2_data_items.csv (an annualized DHIS2 indicator"
    )
    assert "denominator rescaled" in warning and "on 1 row(s)" in warning


def test_value_numerator_denominator_and_factor_that_disagree_are_refused(
    tmp_path: Path, validate: FrameValidator
):
    rows = [["zJOzV4PID5L", "202303", "XOVMRuNHG6z", "93.7", "2400", "30144", "100", "100", "1"]]
    (reason,) = refusal(_num_den(tmp_path, rows), validate)
    assert reason.startswith(
        "anc1_coverage_pct: the value is not numerator / denominator × factor beyond rounding"
    )
    assert reason.endswith(
        "(row 1; e.g. row 1: value 93.7 ≠ numerator / denominator × factor = 2400 / 30144 × "
        "100 = 7.962)"
    )


def test_a_unit_below_a_district_beside_its_own_facility_is_refused(
    tmp_path: Path, validate: FrameValidator
):
    items = {"SECkinyinya": {"name": "Kinyinya Sector"}, "HCkinyinya1": {"name": "Kinyinya HC"}}
    hierarchy = {
        "SECkinyinya": "/Hjw70Lodtf2/prNiMdHuaaU/XOVMRuNHG6z",
        "HCkinyinya1": "/Hjw70Lodtf2/prNiMdHuaaU/XOVMRuNHG6z/SECkinyinya",
    }
    rows = [
        ["hAn5xHe0lFz", "202303", "SECkinyinya", "6"],
        ["hAn5xHe0lFz", "202303", "HCkinyinya1", "6"],
        ["hAn5xHe0lFz", "202303", "XOVMRuNHG6z", "20"],  # the district row itself is fine
    ]
    path = _analytics(tmp_path, rows, {"items": items, "ouHierarchy": hierarchy})
    (reason,) = refusal(path, validate)
    assert reason.startswith("org unit 'Kinyinya Sector' (SECkinyinya) and 'Kinyinya HC'")
    assert "(rows 1–2)" in reason and "export one level" in reason
    path = _analytics(tmp_path, [rows[1], rows[2]], {"items": items, "ouHierarchy": hierarchy})
    assert len(frame_of(parse(path, validate))) == 2


def test_a_hospital_placed_by_a_near_name_is_said_in_a_warning(
    tmp_path: Path, validate: FrameValidator
):
    rows = [["wwBgX6KyNyx", "202303", "hKibagabga1", "40"]]
    path = _analytics(tmp_path, rows, {"items": {"hKibagabga1": {"name": "Kibagabga Hospital"}}})
    parsed = parse(path, validate)
    assert frame_of(parsed)["hospital_id"].tolist() == ["kibagabaga"]
    assert parsed.warnings == (
        "1 org unit(s) not in dhis2_org_units.csv placed as hospitals by a near (not exact) "
        "name: add their uids to dhis2_org_units.csv",
    )
