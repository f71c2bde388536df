"""Pair each rising institution with a shining partner: a capacitated assignment problem.

Rows are the rising institutions of one (topic, metric), columns the shining ones, each
column repeated ``capacity`` times (one per place a shining institution can host). The cost
of a feasible cell, lower being better, is::

    cost = − gap_weight × gap / scale              (a large performance gap is wanted)
           + other_peer_group × [peer groups differ]
           + neighbouring_province | far            (0 for the same province)
           − priority_bonus × [the rising one lists the topic as a priority]
           − strength_bonus × [the shining one lists the topic as a strength]
           + extra_learner × place                  (place 0, 1, … of that shining host)

where gap is how much better the shining institution does (in the metric's unit) and scale is
the standard deviation of the metric over the institutions measured, so one "standard
deviation better" is worth ``gap_weight``. A cell is infeasible (cost ``BIG``, larger than any
sum of feasible costs, so the solver first maximises the number of feasible pairs) when the
shining institution is the rising one itself or does not do better by more than ``min_gap``.
Rising institutions left without a feasible partner are reported unmatched, with the reason.

Pure functions: pandas frames in, a pandas frame out; no warehouse here.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.optimize import linear_sum_assignment

from tpn_metrics.twinning.classify import Role
from tpn_metrics.twinning.geography import PROVINCE_ADJACENCY, DistanceClass, distance_class
from tpn_metrics.twinning.institution_names import institution_names

RECOMMENDATION_COLUMNS = (
    "topic",
    "metric",
    "rising_institution_id",
    "shining_institution_id",
    "rising_value",
    "shining_value",
    "gap",
    "rising_peer_group",
    "shining_peer_group",
    "same_peer_group",
    "distance_class",
    "rising_lists_priority",
    "shining_lists_strength",
    "cost",
    "is_matched",
    "reason",
)
#: Tie-breaker added per column (shining institution in id order, then place): among
#: equal-cost solutions the one using shining institutions earlier in id order wins.
_TIE_BREAK = 1e-9


@dataclass(frozen=True)
class CostWeights:
    """Weights of the assignment cost (see the module docstring). Defaults are documented in
    docs/twinning.md: the bonuses (3) exceed the largest peer-group + distance penalty (2), so a
    stated priority or strength takes precedence over proximity and usually over a larger gap.
    """

    gap: float = 1.0
    other_peer_group: float = 1.0
    neighbouring_province: float = 0.5
    far: float = 1.0
    priority_bonus: float = 3.0
    strength_bonus: float = 3.0
    extra_learner: float = 0.25
    #: The shining partner must do better than the rising one by more than this (metric unit).
    min_gap: float = 0.0

    def distance_penalty(self, distance: DistanceClass) -> float:
        """The cost added for a pair ``distance`` apart (unitless, like every cost term):
        0 for the same province, ``neighbouring_province`` or ``far`` otherwise."""
        return {
            DistanceClass.SAME_PROVINCE: 0.0,
            DistanceClass.NEIGHBOURING_PROVINCE: self.neighbouring_province,
            DistanceClass.FAR: self.far,
        }[distance]


@dataclass(frozen=True)
class CostMatrix:
    """The assignment problem of one (topic, metric), before capacity expansion."""

    rising_ids: tuple[str, ...]
    shining_ids: tuple[str, ...]
    #: rising × shining cost of a first place (np.nan where infeasible).
    cost: np.ndarray
    #: rising × shining shining-better-by (metric unit, oriented so positive = better).
    gap: np.ndarray
    feasible: np.ndarray
    same_peer_group: np.ndarray
    distance: tuple[tuple[DistanceClass, ...], ...]


def _lookup(frame: pd.DataFrame, column: str) -> dict[str, object]:
    return dict(zip(frame["institution_id"], frame[column], strict=True))


def gap_scale_of(classification: pd.DataFrame) -> float:
    """Population standard deviation (ddof 0) of ``classification["value"]``, in the metric's
    unit: the scale of the gap term. 1 when fewer than two values or the deviation is 0 or
    not finite, so the gap term stays defined."""
    values = classification["value"].astype(float).to_numpy()
    scale = float(np.std(values)) if len(values) > 1 else 0.0
    return scale if np.isfinite(scale) and scale > 0 else 1.0


def build_cost_matrix(
    classification: pd.DataFrame,
    institutions: pd.DataFrame,
    *,
    priorities: Collection[str] = (),
    strengths: Collection[str] = (),
    weights: CostWeights | None = None,
    adjacency: frozenset[frozenset[str]] = PROVINCE_ADJACENCY,
    gap_scale: float | None = None,
) -> CostMatrix:
    """Costs of pairing every rising institution with every shining one (first place).

    ``classification``: one row per institution of one (topic, metric), as
    :func:`~tpn_metrics.twinning.classify.classify_institutions` returns it (``role``,
    ``score``, ``peer_group``, ``value``); ``institutions``: institution_id → province.
    Returns a :class:`CostMatrix` of rising × shining arrays (both sorted by id); cost is NaN
    where a pair is infeasible. ``gap_scale`` defaults to :func:`gap_scale_of`.
    """
    weights = weights or CostWeights()
    scale = gap_scale if gap_scale is not None else gap_scale_of(classification)
    rising = classification.loc[classification["role"] == Role.RISING.value]
    shining = classification.loc[classification["role"] == Role.SHINING.value]
    rising = rising.sort_values("institution_id", kind="mergesort")
    shining = shining.sort_values("institution_id", kind="mergesort")
    province = _lookup(institutions, "province")
    r_ids = tuple(str(i) for i in rising["institution_id"])
    s_ids = tuple(str(i) for i in shining["institution_id"])
    r_score = rising["score"].to_numpy(dtype=float)
    s_score = shining["score"].to_numpy(dtype=float)
    gap = s_score[np.newaxis, :] - r_score[:, np.newaxis]
    same_id = np.array([[r == s for s in s_ids] for r in r_ids], dtype=bool).reshape(gap.shape)
    feasible = (gap > weights.min_gap) & ~same_id
    r_group = rising["peer_group"].to_numpy()
    s_group = shining["peer_group"].to_numpy()
    same_group = (r_group[:, np.newaxis] == s_group[np.newaxis, :]).reshape(gap.shape)
    distance = tuple(
        tuple(distance_class(str(province[r]), str(province[s]), adjacency) for s in s_ids)
        for r in r_ids
    )
    distance_penalty = np.array(
        [[weights.distance_penalty(d) for d in row] for row in distance], dtype=float
    ).reshape(gap.shape)
    priority = np.array([r in priorities for r in r_ids], dtype=float)
    strength = np.array([s in strengths for s in s_ids], dtype=float)
    cost = (
        -weights.gap * gap / scale
        + weights.other_peer_group * (~same_group)
        + distance_penalty
        - weights.priority_bonus * priority[:, np.newaxis]
        - weights.strength_bonus * strength[np.newaxis, :]
    )
    cost = np.where(feasible, cost, np.nan)
    return CostMatrix(r_ids, s_ids, cost, gap, feasible, same_group, distance)


def solve_assignment(
    matrix: CostMatrix, *, capacity: int, extra_learner: float
) -> dict[str, tuple[str, int]]:
    """rising id → (shining id, place) for the rising institutions that get a feasible partner.

    Maximises the number of feasible pairs, then minimises the total cost; deterministic.
    """
    if capacity < 1:
        raise ValueError("capacity must be at least 1")
    n_rising, n_shining = matrix.cost.shape
    if n_rising == 0 or n_shining == 0 or not matrix.feasible.any():
        return {}
    places = np.arange(capacity, dtype=float)
    expanded = np.repeat(matrix.cost, capacity, axis=1) + extra_learner * np.tile(places, n_shining)
    expanded = expanded + _TIE_BREAK * np.arange(expanded.shape[1])[np.newaxis, :]
    feasible = np.repeat(matrix.feasible, capacity, axis=1)
    finite = expanded[feasible]
    # Any set of feasible pairs beats any set with one pair fewer.
    big = 1.0 + 2.0 * (n_rising + 1) * (1.0 + float(np.max(np.abs(finite))))
    expanded = np.where(feasible, expanded, big)
    rows, columns = linear_sum_assignment(expanded)
    assigned: dict[str, tuple[str, int]] = {}
    for row, column in zip(rows, columns, strict=True):
        if feasible[row, column]:
            assigned[matrix.rising_ids[row]] = (
                matrix.shining_ids[column // capacity],
                int(column % capacity),
            )
    return assigned


def _distance_words(distance: DistanceClass, province_r: str, province_s: str) -> str:
    if distance == DistanceClass.SAME_PROVINCE:
        return f"same province ({province_r})"
    if distance == DistanceClass.NEIGHBOURING_PROVINCE:
        return f"neighbouring provinces ({province_s} → {province_r})"
    return f"far ({province_s} → {province_r}, no common border)"


def _number(value: float) -> str:
    return f"{value:,.1f}"


def recommend_pairs(
    classification: pd.DataFrame,
    institutions: pd.DataFrame,
    *,
    topic: str = "",
    metric: str = "",
    unit: str = "",
    priorities: Collection[str] = (),
    strengths: Collection[str] = (),
    capacity: int = 2,
    weights: CostWeights | None = None,
    adjacency: frozenset[frozenset[str]] = PROVINCE_ADJACENCY,
    gap_scale: float | None = None,
) -> pd.DataFrame:
    """Recommend a shining partner for every rising institution of one (topic, metric).

    ``classification``: output of :func:`~tpn_metrics.twinning.classify.classify_institutions`.
    ``institutions``: institution_id, province. ``priorities``: institutions that list the topic
    as a priority; ``strengths``: institutions that list it as a strength. ``capacity``: how
    many rising institutions one shining institution may host. Returns one row per rising
    institution, sorted by its id, with :data:`RECOMMENDATION_COLUMNS`: matched rows name the
    partner, unmatched rows (``is_matched`` false) say why. ``gap`` is in the metric's unit,
    positive when the shining partner does better (whatever the metric's direction).
    """
    weights = weights or CostWeights()
    priorities = frozenset(priorities)
    strengths = frozenset(strengths)
    matrix = build_cost_matrix(
        classification,
        institutions,
        priorities=priorities,
        strengths=strengths,
        weights=weights,
        adjacency=adjacency,
        gap_scale=gap_scale,
    )
    assigned = solve_assignment(matrix, capacity=capacity, extra_learner=weights.extra_learner)
    value = {
        str(k): float(v)
        for k, v in zip(classification["institution_id"], classification["value"], strict=True)
    }
    group = _lookup(classification, "peer_group")
    province = _lookup(institutions, "province")
    name = institution_names(institutions)  # reasons are read by people: names, not ids
    unit_words = f" {unit}" if unit else ""
    rows: list[dict[str, object]] = []
    for i, rising_id in enumerate(matrix.rising_ids):
        lists_priority = rising_id in priorities
        row: dict[str, object] = {
            "topic": topic,
            "metric": metric,
            "rising_institution_id": rising_id,
            "shining_institution_id": None,
            "rising_value": value[rising_id],
            "shining_value": None,
            "gap": None,
            "rising_peer_group": group[rising_id],
            "shining_peer_group": None,
            "same_peer_group": None,
            "distance_class": None,
            "rising_lists_priority": lists_priority,
            "shining_lists_strength": None,
            "cost": None,
            "is_matched": False,
        }
        if rising_id in assigned:
            shining_id, place = assigned[rising_id]
            j = matrix.shining_ids.index(shining_id)
            distance = matrix.distance[i][j]
            gap = float(matrix.gap[i, j])
            lists_strength = shining_id in strengths
            same_group = bool(matrix.same_peer_group[i, j])
            words = [
                f"{name[shining_id]} does better by {_number(gap)}{unit_words} "
                f"({_number(value[shining_id])} vs {_number(value[rising_id])})",
                f"same peer group ({group[rising_id]})"
                if same_group
                else f"other peer group ({group[shining_id]} for {group[rising_id]})",
                _distance_words(distance, str(province[rising_id]), str(province[shining_id])),
            ]
            if lists_strength:
                words.append(f"{name[shining_id]} lists {topic or 'the topic'} as a strength")
            if lists_priority:
                words.append(f"{name[rising_id]} lists {topic or 'the topic'} as a priority")
            if place:
                words.append(f"{name[shining_id]}'s learner no. {place + 1}")
            row |= {
                "shining_institution_id": shining_id,
                "shining_value": value[shining_id],
                "gap": gap,
                "shining_peer_group": group[shining_id],
                "same_peer_group": same_group,
                "distance_class": str(distance),
                "shining_lists_strength": lists_strength,
                "cost": float(matrix.cost[i, j]) + weights.extra_learner * place,
                "is_matched": True,
                "reason": "; ".join(words),
            }
        else:
            row["reason"] = _unmatched_reason(matrix, i, capacity, unit_words, value, name)
        rows.append(row)
    return pd.DataFrame(rows, columns=list(RECOMMENDATION_COLUMNS))


def _unmatched_reason(
    matrix: CostMatrix,
    i: int,
    capacity: int,
    unit_words: str,
    value: dict[str, float],
    name: dict[str, str],
) -> str:
    rising_id = matrix.rising_ids[i]
    if not matrix.shining_ids:
        return "unmatched: no institution is classified shining on this metric"
    candidates = [s for j, s in enumerate(matrix.shining_ids) if matrix.feasible[i, j]]
    if not candidates:
        best = max(range(len(matrix.shining_ids)), key=lambda j: matrix.gap[i, j])
        return (
            f"unmatched: no shining institution does better than {name[rising_id]} "
            f"({_number(value[rising_id])}{unit_words}; best shining "
            f"{name[matrix.shining_ids[best]]} at {_number(value[matrix.shining_ids[best]])})"
        )
    return (
        f"unmatched: the shining institution(s) doing better "
        f"({', '.join(name[c] for c in candidates)}) "
        f"are full ({capacity} learner(s) each) with partners of lower cost"
    )
