"""Rising / middle / shining within peer groups, and the geography they rest on."""

from __future__ import annotations

import pandas as pd
import pytest

from tests.twinning.support import institutions, shuffled, values
from tpn_metrics.twinning.classify import CLASSIFICATION_COLUMNS, classify_institutions
from tpn_metrics.twinning.geography import (
    PROVINCE_ADJACENCY,
    PROVINCES,
    DistanceClass,
    distance_class,
    peer_group,
)
from tpn_metrics.twinning.topics import Thresholds

DISTRICTS = institutions(
    ("N1", "district", "north", None),
    ("N2", "district", "north", None),
    ("N3", "district", "north", None),
    ("K1", "district", "kigali", None),
    ("K2", "district", "kigali", None),
    ("K3", "district", "kigali", None),
)


def roles(frame: pd.DataFrame) -> dict[str, str]:
    return dict(zip(frame["institution_id"], frame["role"], strict=True))


def test_bottom_third_rising_top_third_shining_within_each_peer_group():
    # Kigali's values are all above the North's: each province still has its own three roles.
    result = classify_institutions(
        values({"N1": 40, "N2": 50, "N3": 60, "K1": 70, "K2": 80, "K3": 90}), DISTRICTS
    )
    assert list(result.columns) == list(CLASSIFICATION_COLUMNS)
    assert roles(result) == {
        "K1": "rising", "K2": "middle", "K3": "shining",
        "N1": "rising", "N2": "middle", "N3": "shining",
    }  # fmt: skip
    assert set(result["peer_group"]) == {"district:rural:Northern", "district:urban:Kigali City"}
    assert result["percentile"].round(4).tolist() == [0.1667, 0.5, 0.8333] * 2


def test_one_district_can_shine_on_one_topic_and_rise_on_another():
    first = classify_institutions(values({"N1": 90, "N2": 50, "N3": 10}), DISTRICTS)
    second = classify_institutions(values({"N1": 10, "N2": 50, "N3": 90}), DISTRICTS)
    assert roles(first)["N1"] == "shining"
    assert roles(second)["N1"] == "rising"


def test_lower_is_better_flips_the_roles():
    result = classify_institutions(
        values({"N1": 1, "N2": 5, "N3": 9}), DISTRICTS, higher_is_better=False
    )
    assert roles(result) == {"N1": "shining", "N2": "middle", "N3": "rising"}
    assert result["score"].tolist() == [-1.0, -5.0, -9.0]


def test_ties_share_a_role_and_a_flat_group_is_all_middle():
    flat = classify_institutions(values({"N1": 50, "N2": 50, "N3": 50}), DISTRICTS)
    assert set(flat["role"]) == {"middle"}
    tied = classify_institutions(values({"N1": 10, "N2": 10, "N3": 90}), DISTRICTS)
    # Both at mid-rank percentile (0 + 2/2) / 3 = 1/3: rising together.
    assert roles(tied) == {"N1": "rising", "N2": "rising", "N3": "shining"}


def test_shares_are_configurable():
    wide = Thresholds(rising_share=0.5, shining_share=0.5)
    result = classify_institutions(values({"N1": 1, "N2": 2, "N3": 3}), DISTRICTS, thresholds=wide)
    assert roles(result) == {"N1": "rising", "N2": "middle", "N3": "shining"}
    with pytest.raises(ValueError, match="must not exceed 1"):
        Thresholds(rising_share=0.6, shining_share=0.6)
    with pytest.raises(ValueError, match="strictly between"):
        Thresholds(rising_share=0.0)


def test_a_small_peer_group_is_classified_within_its_whole_kind():
    hospitals = institutions(
        ("T1", "hospital", "kigali", "teaching"),
        ("T2", "hospital", "south", "teaching"),
        ("D1", "hospital", "north", "district"),
        ("D2", "hospital", "north", "district"),
        ("D3", "hospital", "east", "district"),
        ("D4", "hospital", "west", "district"),
    )
    result = classify_institutions(
        values({"T1": 95, "T2": 20, "D1": 30, "D2": 40, "D3": 50, "D4": 60}), hospitals
    ).set_index("institution_id")
    assert result.loc["T1", "peer_group"] == "hospital:teaching"
    assert result.loc["T1", "classified_within"] == "hospital:all"
    assert result.loc["T1", "group_size"] == 6
    assert result.loc["T1", "role"] == "shining"
    assert result.loc["T2", "role"] == "rising"
    assert result.loc["D1", "classified_within"] == "hospital:district"
    assert result.loc["D1", "group_size"] == 4
    assert result.loc["D4", "role"] == "shining"


def test_unmeasured_and_unknown_institutions_are_not_classified():
    result = classify_institutions(
        pd.DataFrame({"institution_id": ["N1", "N2", "N3", "GHOST"], "value": [1, None, 3, 9]}),
        DISTRICTS,
    )
    assert result["institution_id"].tolist() == ["N1", "N3"]
    assert result["as_of"].isna().all()
    empty = classify_institutions(values({}), DISTRICTS)
    assert empty.empty and list(empty.columns) == list(CLASSIFICATION_COLUMNS)


def test_duplicate_values_are_refused():
    with pytest.raises(ValueError, match="more than one row"):
        classify_institutions(
            pd.DataFrame({"institution_id": ["N1", "N1"], "value": [1, 2]}), DISTRICTS
        )


def test_row_order_does_not_matter():
    data = values({"N1": 40, "N2": 50, "N3": 60, "K1": 70, "K2": 80, "K3": 90})
    expected = classify_institutions(data, DISTRICTS)
    for seed in range(3):
        got = classify_institutions(shuffled(data, seed), shuffled(DISTRICTS, seed + 10))
        pd.testing.assert_frame_equal(expected, got)


def test_province_adjacency_is_rwandas():
    assert {p for pair in PROVINCE_ADJACENCY for p in pair} == set(PROVINCES)
    far = {
        frozenset((a, b))
        for a in PROVINCES
        for b in PROVINCES
        if a != b and distance_class(a, b) == DistanceClass.FAR
    }
    # Western borders neither Kigali City nor Eastern; every other pair shares a border.
    assert far == {frozenset(("Western", "Kigali City")), frozenset(("Western", "Eastern"))}
    assert distance_class("Southern", "Eastern") == DistanceClass.NEIGHBOURING_PROVINCE
    assert distance_class("Northern", "Southern") == DistanceClass.NEIGHBOURING_PROVINCE
    assert distance_class("Eastern", "Eastern") == DistanceClass.SAME_PROVINCE
    for a in PROVINCES:
        for b in PROVINCES:
            assert distance_class(a, b) == distance_class(b, a)


def test_peer_groups_hospitals_by_category_districts_by_setting_and_province():
    assert (
        peer_group("hospital", province="Northern", is_urban=False, hospital_category="district")
        == "hospital:district"
    )
    assert (
        peer_group("district", province="Kigali City", is_urban=True, hospital_category=None)
        == "district:urban:Kigali City"
    )
    assert (
        peer_group("district", province="Western", is_urban=False, hospital_category=None)
        == "district:rural:Western"
    )
