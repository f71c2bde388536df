"""The four DHIS2 export formats read as DHIS2 writes them, and told apart from our other inputs.

Fixtures (tests/fixtures/ingest/dhis2/) follow dhis2/dhis2-docs ``src/developer/web-api/``:
``analytics.md`` § "Response formats" (analytics JSON: ``headers`` name/column, ``metaData``,
``rows`` of strings; the older ``metaData.names``), § "Request query parameters"
(``includeNumDen``, ``hierarchyMeta`` → ``metaData.ouHierarchy``); ``data.md`` § "Reading data
values" (dataValueSets JSON and CSV, ``deleted``) and § "CSV data value format". The analytics
CSV header is what dhis2-core ``GridUtils.toCsv`` writes: each header's display column
(``Data,Period,Organisation unit,Value``, ``DataQueryParams.DISPLAY_NAME_*``).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tpn_metrics.ingest.detect import detect_kind
from tpn_metrics.ingest.dhis2_formats import read_export, sniff_format
from tpn_metrics.ingest.errors import FileRejectedError
from tpn_metrics.ingest.vocabulary import FileKind

FORMATS = {
    "analytics.json": "analytics_json",
    "analytics.csv": "analytics_csv",
    "data_value_set.json": "data_value_set_json",
    "data_value_set.csv": "data_value_set_csv",
}


@pytest.fixture
def dhis2(fixtures: Path) -> Path:
    return fixtures / "ingest" / "dhis2"


@pytest.mark.parametrize(("name", "source_format"), sorted(FORMATS.items()))
def test_each_format_is_detected_from_content_not_name(
    dhis2: Path, tmp_path: Path, name: str, source_format: str
):
    renamed = tmp_path / "export.txt"
    renamed.write_bytes((dhis2 / name).read_bytes())
    assert sniff_format(renamed.read_bytes()) == source_format
    assert detect_kind(renamed) == FileKind.DHIS2


@pytest.mark.parametrize("name", sorted(FORMATS))
def test_each_format_reads_the_same_four_values(dhis2: Path, name: str):
    export = read_export((dhis2 / name).read_bytes())
    keys = ("data_item_uid", "period_id", "org_unit_uid", "value")
    got = sorted(tuple(v.fields[k] for k in keys) for v in export.values)
    assert got == [
        ("wwBgX6KyNyx", "202303", "R9ajekTlcmy", "120"),
        ("wwBgX6KyNyx", "202303", "XOVMRuNHG6z", "412"),
        ("wwBgX6KyNyx", "202304", "R9ajekTlcmy", "131.0"),
        ("wwBgX6KyNyx", "202304", "XOVMRuNHG6z", "398"),
    ]


def test_deleted_values_of_a_data_value_set_are_not_values(dhis2: Path):
    for name in ("data_value_set.json", "data_value_set.csv"):
        export = read_export((dhis2 / name).read_bytes())
        assert export.skipped_deleted == 1
        assert "13" not in {v.fields["value"] for v in export.values}


def test_data_value_set_csv_lines_are_file_lines(dhis2: Path):
    export = read_export((dhis2 / "data_value_set.csv").read_bytes())
    assert [v.number for v in export.values] == [2, 3, 4, 5]
    assert {v.fields["category_option_combo_uid"] for v in export.values} == {"HllvX50cXC0"}


def test_top_level_keys_of_a_data_value_set_are_defaults(dhis2: Path):
    export = read_export((dhis2 / "bad_value.json").read_bytes())
    assert {(v.fields["period_id"], v.fields["org_unit_uid"]) for v in export.values} == {
        ("202303", "XOVMRuNHG6z")
    }


def test_analytics_metadata_items_names_and_hierarchy(dhis2: Path):
    export = read_export((dhis2 / "analytics_numden_hierarchy.json").read_bytes())
    assert export.names["Kd8XhUyF6Tq"] == "Kinyinya Health Centre"
    assert export.hierarchy["Kd8XhUyF6Tq"] == ("Hjw70Lodtf2", "prNiMdHuaaU", "XOVMRuNHG6z")
    first = export.values[0].fields
    assert (first["value"], first["numerator"], first["denominator"]) == ("15.6", "412.0", "2637.5")


def test_legacy_names_and_an_org_unit_given_as_filter(dhis2: Path):
    export = read_export((dhis2 / "analytics_legacy_names.json").read_bytes())
    assert export.names["XBTserSDF0Y"] == "Huye District"
    assert {v.fields["org_unit_uid"] for v in export.values} == {"XBTserSDF0Y"}
    assert [v.fields["period_id"] for v in export.values] == ["2022July", "2023Q1", "2022"]


def test_analytics_csv_with_dimension_names_and_num_den(tmp_path: Path):
    data = (
        b"dx,pe,ou,value,numerator,denominator,factor,multiplier,divisor\n"
        b"zJOzV4PID5L,202303,XOVMRuNHG6z,15.6,412.0,2637.5,100.0,100.0,1.0\n"
    )
    export = read_export(data)
    assert export.source_format == "analytics_csv"
    (value,) = export.values
    assert (value.number, value.fields["numerator"], value.fields["denominator"]) == (
        2,
        "412.0",
        "2637.5",
    )


def test_data_value_set_csv_with_long_combo_names():
    data = (
        b"dataelement,period,orgunit,categoryoptioncombo,attributeoptioncombo,value\n"
        b"wwBgX6KyNyx,202303,XOVMRuNHG6z,aaaaaaaaaa1,bbbbbbbbbb2,7\n"
    )
    (value,) = read_export(data).values
    assert value.fields["category_option_combo_uid"] == "aaaaaaaaaa1"
    assert value.fields["attribute_option_combo_uid"] == "bbbbbbbbbb2"


def test_a_json_that_is_no_dhis2_export_is_refused_naming_what_it_holds(dhis2: Path):
    with pytest.raises(FileRejectedError) as refused:
        detect_kind(dhis2 / "bad_not_dhis2.json")
    reason = str(refused.value)
    assert "neither a DHIS2 analytics response" in reason
    assert "organisationUnits, pager" in reason


def test_json_that_does_not_parse_is_refused_with_its_place(tmp_path: Path):
    broken = tmp_path / "broken.json"
    broken.write_text('{"headers": [], "rows": [\n  ["a", ]\n')
    with pytest.raises(FileRejectedError, match=r"the JSON does not parse \(line 2"):
        detect_kind(broken)


def test_analytics_without_a_period_column_or_filter_is_refused():
    data = b'{"headers": [{"name": "dx"}, {"name": "ou"}, {"name": "value"}], "rows": []}'
    with pytest.raises(FileRejectedError, match=r"lacks the column.*pe/period"):
        read_export(data)


def test_our_other_csv_inputs_are_not_taken_for_dhis2(fixtures: Path):
    for path in sorted((fixtures / "ingest" / "good").glob("*.csv")):
        assert sniff_format(path.read_bytes()) is None, path.name
        assert detect_kind(path) != FileKind.DHIS2


def test_a_csv_whose_title_starts_with_a_bracket_is_not_taken_for_json():
    data = b"[Draft] CBHI weekly update\nreport_date,district,target_population\n"
    assert sniff_format(data) is None


# Review #22 P1-4: analytics.md § "Dimensions and items" — any dimension but dx/pe/ou/co/ao
# (a category such as Age, a group set) splits or filters the values.
def _json(headers: list[tuple[str, str]], dimensions: dict[str, list[str]]) -> bytes:
    names = {"cX5k9anHEHd": {"name": "Age"}, "FbLZS3ueWbQ": {"name": "<20y"}}
    cells = {"dx": "wwBgX6KyNyx", "cX5k9anHEHd": "FbLZS3ueWbQ", "pe": "202303"}
    cells |= {"ou": "XOVMRuNHG6z", "co": "Prlt0C1RF0s", "value": "17"}
    row = [cells[name] for name, _ in headers]
    document = {
        "headers": [{"name": n, "column": c} for n, c in headers],
        "metaData": {"items": names, "dimensions": dimensions},
        "rows": [row],
    }
    return json.dumps(document).encode()


BASE = [("dx", "Data"), ("pe", "Period"), ("ou", "Organisation unit"), ("value", "Value")]
BASE_DIMS = {"dx": ["wwBgX6KyNyx"], "pe": ["202303"], "ou": ["XOVMRuNHG6z"]}


@pytest.mark.parametrize(
    ("dimensions", "said"),
    [
        ({"cX5k9anHEHd": ["FbLZS3ueWbQ"]}, "filtered on 'Age' (cX5k9anHEHd)"),
        ({"co": ["Prlt0C1RF0s"]}, "filtered on co = Prlt0C1RF0s"),
        ({"ao": ["HllvX50cXC1"]}, "filtered on ao = HllvX50cXC1"),
        ({"J5jldMd8OHv": []}, "filtered on 'J5jldMd8OHv'"),  # a group set, even without items
    ],
)
def test_an_analytics_export_filtered_on_another_dimension_is_refused(
    dimensions: dict[str, list[str]], said: str
):
    data = _json(BASE, {**BASE_DIMS, **dimensions})
    with pytest.raises(FileRejectedError, match="not the total") as refused:
        read_export(data)
    assert said in str(refused.value)


def test_an_analytics_export_with_another_dimension_as_a_column_is_refused():
    headers = [BASE[0], ("cX5k9anHEHd", "Age"), *BASE[1:]]
    with pytest.raises(FileRejectedError, match=r"column for the dimension\(s\) 'Age'"):
        read_export(_json(headers, {**BASE_DIMS, "cX5k9anHEHd": ["FbLZS3ueWbQ"]}))
    csv_text = "Data,Age,Period,Organisation unit,Value\nwwBgX6KyNyx,<20y,202303,XOVMRuNHG6z,17\n"
    with pytest.raises(FileRejectedError, match=r"column for the dimension\(s\) 'Age'"):
        read_export(csv_text.encode())


def test_the_empty_co_dhis2_always_writes_and_a_co_column_are_fine():
    assert len(read_export(_json(BASE, {**BASE_DIMS, "co": []})).values) == 1
    headers = [*BASE[:3], ("co", "Category option combo"), BASE[3]]
    export = read_export(_json(headers, {**BASE_DIMS, "co": ["Prlt0C1RF0s"]}))
    assert export.values[0].fields["category_option_combo_uid"] == "Prlt0C1RF0s"


@pytest.mark.parametrize("name", ["analytics.csv", "data_value_set.csv"])
def test_a_csv_saved_again_by_a_spreadsheet_with_semicolons_reads_the_same(
    dhis2: Path, tmp_path: Path, name: str
):
    # A DHIS2 CSV opened in a spreadsheet whose locale writes decimals with a comma is saved
    # with ';' between values and a byte-order mark (the newcomer's case).
    text = (dhis2 / name).read_text(encoding="utf-8")
    saved = tmp_path / "export.csv"
    saved.write_bytes("\ufeff".encode() + text.replace(",", ";").encode())
    assert detect_kind(saved) == FileKind.DHIS2
    keys = ("data_item_uid", "period_id", "org_unit_uid", "value")
    again = sorted(tuple(v.fields[k] for k in keys) for v in read_export(saved.read_bytes()).values)
    first = sorted(tuple(v.fields[k] for k in keys) for v in read_export(text.encode()).values)
    assert again == first and len(first) == 4


def test_a_line_with_more_values_than_the_header_is_refused_not_read_askew():
    # An unquoted thousands separator splits one value in two: reading the line would load
    # 1 instead of 1,204 (the newcomer's case), so the file is refused naming the lines.
    data = (
        b"dx,pe,ou,value\n"
        b"wwBgX6KyNyx,202303,XOVMRuNHG6z,1,204\n"
        b"wwBgX6KyNyx,202304,XOVMRuNHG6z,398\n"
    )
    with pytest.raises(FileRejectedError) as refused:
        read_export(data)
    [reason] = refused.value.reasons
    assert reason.startswith("line 2: more values than the header's 4 columns")
    assert "1204" in reason
