"""DHIS2 uids to our districts and hospitals: the four steps of docs/contracts.md "DHIS2 exports".

``metaData.items`` names and ``metaData.ouHierarchy`` paths (root first, the unit itself left
out) as in dhis2/dhis2-docs ``src/developer/web-api/analytics.md`` § "Response formats" and
the ``hierarchyMeta`` parameter (§ "Request query parameters").
"""

from __future__ import annotations

import pytest

from tpn_metrics.ingest.dhis2_resolve import (
    OrgUnit,
    find_data_item,
    load_data_items,
    load_org_units,
    resolve_org_unit,
)
from tpn_metrics.names import UnknownNameError
from tpn_metrics.settings import Settings

SEEDS = Settings().seeds_dir


def test_step_1_the_seed_by_uid_wins_over_any_name():
    placed = resolve_org_unit(SEEDS, "R9ajekTlcmy", {"R9ajekTlcmy": "Gasabo District"}, {})
    assert placed == OrgUnit("hospital", "nyarugenge", "nyarugenge_dh", "seed")
    centre = resolve_org_unit(SEEDS, "ruWUJlG8nm1", {}, {})
    assert centre == OrgUnit("health_centre", "gasabo", None, "seed")


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Gasabo District", OrgUnit("district", "gasabo", None, "name")),
        ("GASABO", OrgUnit("district", "gasabo", None, "name")),
        ("Butare", OrgUnit("district", "huye", None, "name")),  # historic alias
        ("Kabutare DH", OrgUnit("hospital", "huye", "kabutare", "name")),
        ("Kibagabaga Hospital", OrgUnit("hospital", "gasabo", "kibagabaga", "name")),
        ("CHUK", OrgUnit("hospital", "nyarugenge", "chuk", "name")),
    ],
)
def test_step_2_a_new_uid_is_placed_by_its_metadata_name(name: str, expected: OrgUnit):
    assert resolve_org_unit(SEEDS, "newUid00001", {"newUid00001": name}, {}) == expected


@pytest.mark.parametrize(
    "name",
    [
        "Kicukiro HC",  # a facility in Kicukiro, not the district (2 edits away)
        "Centre de Santé de Huye",
        "Kinyinya Health Centre",
        "Unknown Hospital",
    ],
)
def test_step_2_facility_names_are_not_guessed(name: str):
    with pytest.raises(UnknownNameError, match=r"is not in dhis2_org_units\.csv"):
        resolve_org_unit(SEEDS, "newUid00001", {"newUid00001": name}, {})


def test_step_3_the_nearest_ancestor_that_is_a_district():
    names = {"hc": "Kinyinya Health Centre", "sector": "Kinyinya Sector", "prov": "Kigali City"}
    hierarchy = {"hc": ("rootRwanda1", "prov", "XOVMRuNHG6z", "sector")}
    assert resolve_org_unit(SEEDS, "hc", names, hierarchy) == OrgUnit(
        "health_centre", "gasabo", None, "hierarchy"
    )
    # An ancestor unknown by uid but named like a district counts too.
    by_name = {"hc": ("rootRwanda1", "zzDistrict1")}
    placed = resolve_org_unit(SEEDS, "hc", {**names, "zzDistrict1": "Huye District"}, by_name)
    assert placed.district_id == "huye"


def test_step_4_reported_with_uid_name_and_what_to_do():
    with pytest.raises(UnknownNameError) as refused:
        resolve_org_unit(SEEDS, "hcX", {"hcX": "Mystery HC"}, {})
    assert str(refused.value) == (
        "org unit 'Mystery HC' (uid hcX) is not in dhis2_org_units.csv, its name matches no "
        "district or hospital, and the export has no hierarchy for it: export with "
        "hierarchyMeta=true (analytics JSON, so metaData.ouHierarchy names its district), or "
        "add it to dhis2_org_units.csv"
    )


def test_data_items_by_uid_reporting_rates_and_operands():
    items = load_data_items(SEEDS)
    assert items["zJOzV4PID5L"].item_code == "anc1_coverage_pct"
    assert items["zJOzV4PID5L"].factor == 100
    found = find_data_item(SEEDS, "rL0pkYzEWu3.REPORTING_RATE_ON_TIME")
    assert found is not None and found[0].item_code == "hmis_reporting_rate_on_time_pct"
    operand = find_data_item(SEEDS, "wwBgX6KyNyx.cocUid00001")
    assert operand is not None and (operand[0].item_code, operand[1]) == (
        "anc1_visits",
        "cocUid00001",
    )
    assert find_data_item(SEEDS, "zJOzV4PID5L.cocUid00001") is None  # indicators have no combos
    assert find_data_item(SEEDS, "XyZ12345678") is None


def test_every_seed_org_unit_has_a_level_we_know():
    units = load_org_units(SEEDS)
    assert {u.level for u in units.values()} == {"district", "hospital", "health_centre"}
    assert all(u.hospital_id for u in units.values() if u.level == "hospital")


def test_step_3_a_name_written_as_a_path_with_show_hierarchy():
    names = {"hc": "/Rwanda/Kigali City/Gasabo District/Kinyinya Health Centre"}
    assert resolve_org_unit(SEEDS, "hc", names, {}) == OrgUnit(
        "health_centre", "gasabo", None, "hierarchy"
    )
    # The path's last part is the unit itself: a district named by its path is the district.
    district = resolve_org_unit(SEEDS, "dx", {"dx": "/Rwanda/Southern Province/Huye District"}, {})
    assert (district.level, district.district_id) == ("district", "huye")
    with pytest.raises(UnknownNameError, match=r"ancestors in the export's hierarchy \(Rwanda"):
        resolve_org_unit(SEEDS, "hc", {"hc": "/Rwanda/Nowhere HC"}, {})


# Review #22 P1-2 / P2-8: the hierarchy first; exact names for districts and ancestors.
PATH_NYAMAGABE = ("Hjw70Lodtf2", "SOUTHxxxxxx", "NYAMAGABExx")
NAMES_NYAMAGABE = {
    "Hjw70Lodtf2": "Rwanda",
    "SOUTHxxxxxx": "Southern Province",
    "NYAMAGABExx": "Nyamagabe District",
}


@pytest.mark.parametrize(
    ("name", "district_id"),
    [
        ("Musange", "nyamagabe"),  # 1 edit from Musanze: a facility of Nyamagabe, not Musanze
        ("Butaro", "nyamagabe"),  # 1 edit from Butare (Huye's old name)
        ("Ngoma", "nyamagabe"),  # exactly a district's name, but below a district
        ("Huye District", "nyamagabe"),
    ],
)
def test_a_unit_below_a_district_is_never_placed_as_a_district_by_name(name: str, district_id: str):
    names = {**NAMES_NYAMAGABE, "unit": name}
    placed = resolve_org_unit(SEEDS, "unit", names, {"unit": PATH_NYAMAGABE})
    assert placed == OrgUnit("health_centre", district_id, None, "hierarchy")


@pytest.mark.parametrize("name", ["Musange", "Butaro", "Nyamagab", "Gasabo Sector"])
def test_district_names_need_an_exact_match_without_hierarchy(name: str):
    with pytest.raises(UnknownNameError, match=r"its name matches no district or hospital"):
        resolve_org_unit(SEEDS, "unit", {"unit": name}, {})


def test_ancestors_match_districts_exactly_root_first():
    # "Ngoma" (a sector of Huye) below "Huye District": Huye, not Ngoma district.
    names = {"r": "Rwanda", "s": "Southern Province", "d": "Huye District", "x": "Ngoma"}
    placed = resolve_org_unit(
        SEEDS, "hc", {**names, "hc": "Ngoma HC"}, {"hc": ("r", "s", "d", "x")}
    )
    assert placed.district_id == "huye"
    # An ancestor 1 edit from a district ("Musange") is not that district.
    names = {"r": "Rwanda", "s": "Southern Province", "x": "Musange"}
    with pytest.raises(UnknownNameError, match=r"ancestors in the export's hierarchy"):
        resolve_org_unit(SEEDS, "hc", {**names, "hc": "Musange HC"}, {"hc": ("r", "s", "x")})


def test_a_district_name_at_another_depth_than_the_exports_districts_is_not_a_district():
    # XOVMRuNHG6z is Gasabo in the seed, 2 levels down; "Ngoma" 3 levels down is no district.
    hierarchy = {"XOVMRuNHG6z": ("root", "kgl"), "unit": ("root", "east", "sector")}
    names = {"root": "Rwanda", "east": "Eastern Province", "sector": "Remera", "unit": "Ngoma"}
    with pytest.raises(UnknownNameError, match=r"'Ngoma' \(uid unit\)"):
        resolve_org_unit(SEEDS, "unit", names, hierarchy)
    hierarchy["unit"] = ("root", "east")
    assert resolve_org_unit(SEEDS, "unit", names, hierarchy).district_id == "ngoma"


def test_a_hospital_by_name_is_cross_checked_against_the_hierarchys_district():
    names = {**NAMES_NYAMAGABE, "h": "Kigeme Hospital", "k": "Kabutare Hospital"}
    hierarchy = {"h": PATH_NYAMAGABE, "k": PATH_NYAMAGABE}
    assert resolve_org_unit(SEEDS, "h", names, hierarchy) == OrgUnit(
        "hospital", "nyamagabe", "kigeme", "name"
    )
    with pytest.raises(UnknownNameError) as refused:
        resolve_org_unit(SEEDS, "k", names, hierarchy)
    assert "hospital kabutare of district huye" in str(refused.value)
    assert "puts it in district nyamagabe" in str(refused.value)


@pytest.mark.parametrize("with_hierarchy", [False, True])
def test_a_hospital_name_that_does_not_resolve_is_refused_even_below_a_district(
    with_hierarchy: bool,
):
    hierarchy = {"b": PATH_NYAMAGABE, "u": PATH_NYAMAGABE} if with_hierarchy else {}
    names = {**NAMES_NYAMAGABE, "b": "Bibilizi Hospital", "u": "Nowhere Hospital"}
    with pytest.raises(UnknownNameError, match=r"is ambiguous: it could be") as refused:
        resolve_org_unit(SEEDS, "b", names, hierarchy)
    assert "Kibilizi" in str(refused.value) and "Mibilizi" in str(refused.value)
    with pytest.raises(UnknownNameError, match=r"matches none of our hospitals"):
        resolve_org_unit(SEEDS, "u", names, hierarchy)


def test_a_hospital_named_in_french_is_a_hospital():
    names = {"c": "Centre Hospitalier Universitaire de Kigali"}
    assert resolve_org_unit(SEEDS, "c", names, {}) == OrgUnit(
        "hospital", "nyarugenge", "chuk", "name"
    )


def test_a_hospital_name_one_edit_away_is_placed_but_marked_near():
    placed = resolve_org_unit(SEEDS, "h", {"h": "Kibagabga Hospital"}, {})
    assert placed == OrgUnit("hospital", "gasabo", "kibagabaga", "near_name")
