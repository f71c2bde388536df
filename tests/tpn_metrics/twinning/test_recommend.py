"""The capacitated assignment of shining partners: optimality, constraints, preferences."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.twinning.support import classification, pairs, provinces, shuffled
from tpn_metrics.twinning.recommend import (
    RECOMMENDATION_COLUMNS,
    CostWeights,
    build_cost_matrix,
    recommend_pairs,
)

NO_LOAD = CostWeights(extra_learner=0.0)


def test_known_optimum_needs_the_global_view_not_a_greedy_one():
    # Rising R1 (40) and R2 (60) in the North; shining S1 (80, North) and S2 (55, South);
    # one place each; everyone in one peer group; gap_scale 10, so a 10-point gap is worth 1.
    #   R1–S1: −(80−40)/10 + 0         = −4.0    R1–S2: −(55−40)/10 + 0.5 (neighbour) = −1.0
    #   R2–S1: −(80−60)/10 + 0         = −2.0    R2–S2: infeasible (S2 does worse than R2)
    # Greedy (R1 takes its best, S1) leaves R2 without a partner. The solver first maximises
    # the number of feasible pairs, so the optimum is R1–S2, R2–S1 (total −3.0): both matched.
    frame = classification(
        {"R1": ("rising", 40), "R2": ("rising", 60), "S1": ("shining", 80), "S2": ("shining", 55)},
        dict.fromkeys(("R1", "R2", "S1", "S2"), "g"),
    )
    where = provinces({"R1": "north", "R2": "north", "S1": "north", "S2": "south"})
    result = recommend_pairs(frame, where, capacity=1, weights=NO_LOAD, gap_scale=10)
    assert pairs(result) == {"R1": "S2", "R2": "S1"}
    assert result["cost"].sum() == pytest.approx(-3.0)
    assert list(result.columns) == list(RECOMMENDATION_COLUMNS)


def test_known_optimum_trades_gap_against_distance():
    # R_N (40, North), R_S (50, South); S_N (80, North), S_S (70, South); one place each; one
    # peer group; gap_scale 10. Same-province pairs: −4.0 + −2.0 = −6.0; crossed pairs:
    # (−3.0 + 0.5) + (−3.0 + 0.5) = −5.0. Gap sums are equal either way (each rising gets
    # one of the two), so the distance decides: same-province pairs.
    frame = classification(
        {"RN": ("rising", 40), "RS": ("rising", 50), "SN": ("shining", 80), "SS": ("shining", 70)},
        dict.fromkeys(("RN", "RS", "SN", "SS"), "g"),
    )
    where = provinces({"RN": "north", "RS": "south", "SN": "north", "SS": "south"})
    result = recommend_pairs(frame, where, capacity=1, weights=NO_LOAD, gap_scale=10)
    assert pairs(result) == {"RN": "SN", "RS": "SS"}
    assert set(result["distance_class"]) == {"same_province"}
    assert result["cost"].sum() == pytest.approx(-6.0)


def test_capacity_caps_how_many_one_shining_institution_hosts():
    roles = {f"R{i}": ("rising", 10.0 + i) for i in range(5)}
    roles |= {"STAR": ("shining", 99.0), "S2": ("shining", 60.0), "S3": ("shining", 50.0)}
    frame = classification(roles)
    where = provinces(dict.fromkeys(roles, "north"))
    for capacity in (1, 2, 3):
        result = recommend_pairs(frame, where, capacity=capacity)
        hosted = result["shining_institution_id"].value_counts()
        assert hosted.max() <= capacity
        assert result["is_matched"].sum() == min(5, 3 * capacity)
    # With one place each, two of the five rising institutions are told why they are left out.
    result = recommend_pairs(frame, where, capacity=1)
    unmatched = result.loc[~result["is_matched"].astype(bool)]
    assert len(unmatched) == 2
    assert unmatched["reason"].str.contains("are full").all()


def test_nobody_is_paired_with_itself_or_with_a_worse_performer():
    # R_HIGH is rising in its own peer group but does better than every shining institution.
    frame = classification(
        {"R_LOW": ("rising", 30), "R_HIGH": ("rising", 90), "S": ("shining", 70)},
        {"R_LOW": "a", "R_HIGH": "b", "S": "a"},
    )
    where = provinces({"R_LOW": "north", "R_HIGH": "north", "S": "north"})
    result = recommend_pairs(frame, where, capacity=5).set_index("rising_institution_id")
    assert result.loc["R_LOW", "shining_institution_id"] == "S"
    assert not result.loc["R_HIGH", "is_matched"]
    assert "no shining institution does better than R_HIGH" in result.loc["R_HIGH", "reason"]
    # An equal value is not "better" either (min_gap 0 means strictly better).
    tie = classification({"R": ("rising", 70), "S": ("shining", 70)})
    tied = recommend_pairs(tie, provinces({"R": "north", "S": "north"}))
    assert not tied["is_matched"].any()
    # And a required margin is honoured.
    margin = recommend_pairs(
        classification({"R": ("rising", 65), "S": ("shining", 70)}),
        provinces({"R": "north", "S": "north"}),
        weights=CostWeights(min_gap=5.0),
    )
    assert not margin["is_matched"].any()


def test_self_pairing_is_infeasible_even_if_roles_were_inconsistent():
    # A malformed frame listing one institution twice must still never pair it with itself.
    frame = pd.concat(
        [classification({"X": ("rising", 10)}), classification({"X": ("shining", 90)})],
        ignore_index=True,
    )
    matrix = build_cost_matrix(frame, provinces({"X": "north"}))
    assert not matrix.feasible.any()


def test_no_shining_institution_at_all_is_reported():
    result = recommend_pairs(
        classification({"R": ("rising", 10), "M": ("middle", 50)}),
        provinces({"R": "north", "M": "north"}),
    )
    assert result["reason"].tolist() == [
        "unmatched: no institution is classified shining on this metric"
    ]


def test_stated_priority_takes_precedence_when_places_are_scarce():
    # One place; R_NEAR would win on distance (same province), R_PRIO on its stated priority.
    frame = classification(
        {"R_NEAR": ("rising", 40), "R_PRIO": ("rising", 40), "S": ("shining", 80)},
        {"R_NEAR": "g", "R_PRIO": "g", "S": "g"},
    )
    where = provinces({"R_NEAR": "north", "R_PRIO": "south", "S": "north"})
    plain = recommend_pairs(frame, where, capacity=1)
    assert pairs(plain) == {"R_NEAR": "S", "R_PRIO": None}
    stated = recommend_pairs(frame, where, capacity=1, priorities={"R_PRIO"}, topic="t")
    assert pairs(stated) == {"R_NEAR": None, "R_PRIO": "S"}
    row = stated.set_index("rising_institution_id").loc["R_PRIO"]
    assert row["rising_lists_priority"]
    assert "R_PRIO lists t as a priority" in row["reason"]


def test_stated_strength_takes_precedence_over_a_larger_gap_and_proximity():
    # S_BIG does 15 points better than S_STRONG and sits in the same province; S_STRONG listed
    # the topic as a strength (bonus 3 > 1.5 SD of gap + 0.5 for the neighbouring province).
    frame = classification(
        {"R": ("rising", 40), "S_BIG": ("shining", 95), "S_STRONG": ("shining", 80)},
        dict.fromkeys(("R", "S_BIG", "S_STRONG"), "g"),
    )
    where = provinces({"R": "north", "S_BIG": "north", "S_STRONG": "east"})
    assert pairs(recommend_pairs(frame, where, gap_scale=10)) == {"R": "S_BIG"}
    chosen = recommend_pairs(frame, where, gap_scale=10, strengths={"S_STRONG"}, topic="t")
    assert pairs(chosen) == {"R": "S_STRONG"}
    assert chosen["shining_lists_strength"].tolist() == [True]
    assert "S_STRONG lists t as a strength" in chosen["reason"].iloc[0]


def test_same_peer_group_is_preferred_at_equal_gap_and_distance():
    frame = classification(
        {"R": ("rising", 40), "S_OTHER": ("shining", 80), "S_PEER": ("shining", 80)},
        {"R": "district:a", "S_OTHER": "hospital:b", "S_PEER": "district:a"},
    )
    where = provinces({"R": "north", "S_OTHER": "north", "S_PEER": "north"})
    result = recommend_pairs(frame, where)
    assert pairs(result) == {"R": "S_PEER"}
    assert result["same_peer_group"].tolist() == [True]


def test_distance_preference_same_province_then_neighbouring_then_far():
    roles = {
        "R": ("rising", 40),
        "S_KIGALI": ("shining", 80),
        "S_SOUTH": ("shining", 80),
        "S_WEST": ("shining", 80),
    }
    where = {"R": "west", "S_KIGALI": "kigali", "S_SOUTH": "south", "S_WEST": "west"}
    groups = dict.fromkeys(roles, "g")
    result = recommend_pairs(classification(roles, groups), provinces(where))
    assert pairs(result) == {"R": "S_WEST"}
    del roles["S_WEST"], where["S_WEST"]
    result = recommend_pairs(classification(roles, groups), provinces(where))
    assert pairs(result) == {"R": "S_SOUTH"}
    assert result["distance_class"].tolist() == ["neighbouring_province"]
    del roles["S_SOUTH"], where["S_SOUTH"]
    result = recommend_pairs(classification(roles, groups), provinces(where))
    assert result["distance_class"].tolist() == ["far"]  # Western never borders Kigali City


def _random_case(seed: int) -> tuple[pd.DataFrame, pd.DataFrame, set[str], set[str]]:
    rng = np.random.default_rng(seed)
    roles = {}
    for i in range(12):
        role = ("rising", "shining", "middle")[i % 3]
        roles[f"I{i:02d}"] = (role, float(rng.integers(0, 10) * 10))
    groups = {k: str(rng.choice(["a", "b"])) for k in roles}
    where = {k: str(rng.choice(["north", "south", "east", "west", "kigali"])) for k in roles}
    priorities = {k for k in roles if rng.random() < 0.3}
    strengths = {k for k in roles if rng.random() < 0.3}
    return classification(roles, groups), provinces(where), priorities, strengths


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_same_input_and_shuffled_rows_give_the_same_result(seed: int):
    frame, where, priorities, strengths = _random_case(seed)
    first = recommend_pairs(frame, where, priorities=priorities, strengths=strengths)
    again = recommend_pairs(frame, where, priorities=priorities, strengths=strengths)
    reordered = recommend_pairs(
        shuffled(frame, seed),
        shuffled(where, seed + 1),
        priorities=sorted(priorities, reverse=True),
        strengths=list(strengths),
    )
    pd.testing.assert_frame_equal(first, again)
    pd.testing.assert_frame_equal(first, reordered)


def test_ties_go_to_the_shining_institution_first_in_id_order():
    frame = classification(
        {"R": ("rising", 10), "S_B": ("shining", 50), "S_A": ("shining", 50)},
        dict.fromkeys(("R", "S_A", "S_B"), "g"),
    )
    where = provinces(dict.fromkeys(("R", "S_A", "S_B"), "north"))
    assert pairs(recommend_pairs(frame, where)) == {"R": "S_A"}


def _brute_force(
    frame: pd.DataFrame,
    where: pd.DataFrame,
    capacity: int,
    weights: CostWeights,
    priorities: set[str],
    strengths: set[str],
) -> tuple[int, float]:
    """Best (pairs, −cost) over every capacity-respecting set of feasible pairs."""
    matrix = build_cost_matrix(
        frame, where, priorities=priorities, strengths=strengths, weights=weights
    )
    slots = [(j, k) for j in range(len(matrix.shining_ids)) for k in range(capacity)]
    best = (0, 0.0)
    for choice in itertools.product([None, *range(len(slots))], repeat=len(matrix.rising_ids)):
        used = [c for c in choice if c is not None]
        if len(used) != len(set(used)):
            continue
        total, ok = 0.0, True
        for i, c in enumerate(choice):
            if c is None:
                continue
            j, k = slots[c]
            if not matrix.feasible[i, j]:
                ok = False
                break
            total += matrix.cost[i, j] + weights.extra_learner * k
        if ok:
            best = max(best, (len(used), -total))
    return best


case = st.fixed_dictionaries(
    {
        "values": st.lists(st.integers(0, 6), min_size=2, max_size=6),
        "roles": st.lists(st.sampled_from(["rising", "shining", "middle"]), min_size=6, max_size=6),
        "provinces": st.lists(
            st.sampled_from(["north", "south", "east", "west", "kigali"]), min_size=6, max_size=6
        ),
        "groups": st.lists(st.sampled_from(["a", "b"]), min_size=6, max_size=6),
        "priorities": st.sets(st.integers(0, 5)),
        "strengths": st.sets(st.integers(0, 5)),
        "capacity": st.integers(1, 2),
    }
)


@settings(max_examples=60, deadline=None)
@given(case)
def test_solver_is_optimal_and_respects_every_constraint(data: dict):
    n = len(data["values"])
    names = [f"I{i}" for i in range(n)]
    roles = {
        name: (data["roles"][i], float(data["values"][i] * 10)) for i, name in enumerate(names)
    }
    frame = classification(roles, {name: data["groups"][i] for i, name in enumerate(names)})
    where = provinces({name: data["provinces"][i] for i, name in enumerate(names)})
    priorities = {names[i] for i in data["priorities"] if i < n}
    strengths = {names[i] for i in data["strengths"] if i < n}
    weights = CostWeights()
    result = recommend_pairs(
        frame,
        where,
        capacity=data["capacity"],
        priorities=priorities,
        strengths=strengths,
        weights=weights,
    )
    rising = [name for name in names if roles[name][0] == "rising"]
    assert sorted(result["rising_institution_id"]) == sorted(rising)
    matched = result.loc[result["is_matched"].astype(bool)]
    assert (matched["rising_institution_id"] != matched["shining_institution_id"]).all()
    assert (matched["shining_value"] > matched["rising_value"]).all()
    assert (matched["gap"] > 0).all()
    assert all(roles[s][0] == "shining" for s in matched["shining_institution_id"])
    assert all(matched["shining_institution_id"].value_counts() <= data["capacity"])
    expected_pairs, expected_negative_cost = _brute_force(
        frame, where, data["capacity"], weights, priorities, strengths
    )
    assert len(matched) == expected_pairs
    assert -matched["cost"].sum() == pytest.approx(expected_negative_cost, abs=1e-6)


def test_a_lower_is_better_rate_per_1000_reads_right_in_the_reason():
    """Birth asphyxia (issue #22): fewer cases per 1,000 live births is better, so the partner
    "does better" by having the lower rate, and the gap is in the rate's own unit."""
    from tests.twinning.support import institutions, values
    from tpn_metrics.twinning.classify import classify_institutions

    members = institutions(
        ("d_a", "district", "north", None),
        ("d_b", "district", "north", None),
        ("d_c", "district", "north", None),
    )
    rates = values({"d_a": 12.5, "d_b": 20.0, "d_c": 31.25})
    classified = classify_institutions(rates, members, higher_is_better=False)
    roles = dict(zip(classified["institution_id"], classified["role"], strict=True))
    assert roles == {"d_a": "shining", "d_b": "middle", "d_c": "rising"}
    (row,) = recommend_pairs(
        classified, members, topic="birth_asphyxia", unit="per 1,000 live births"
    ).itertuples()
    assert (row.rising_institution_id, row.shining_institution_id) == ("d_c", "d_a")
    assert row.gap == pytest.approx(31.25 - 12.5)  # positive: the partner does better
    assert row.reason.startswith(
        "D_A does better by 18.8 per 1,000 live births (12.5 vs 31.2); same peer group"
    )
