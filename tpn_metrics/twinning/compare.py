"""The pairs chosen at the launch workshop, judged on the metrics, and set beside ours.

Pure functions on pandas frames. The chosen pairs are judged on today's values (the latest
survey or report in the warehouse), not on what the workshop knew in 2021.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from tpn_metrics.twinning.classify import peer_groups
from tpn_metrics.twinning.geography import PROVINCE_ADJACENCY, DistanceClass, distance_class

ASSESSED_COLUMNS = (
    "topic",
    "metric",
    "rising_institution_id",
    "shining_institution_id",
    "is_active",
    "rising_value",
    "shining_value",
    "gap",
    "is_shining_better",
    "rising_role",
    "shining_role",
    "same_peer_group",
    "distance_class",
    "recommended_shining_institution_id",
    "recommended_gap",
    "agrees_with_recommendation",
    "rising_value_at_launch",
    "shining_value_at_launch",
    "gap_at_launch",
    "is_shining_better_at_launch",
)
SUMMARY_COLUMNS = (
    "topic",
    "metric",
    "chosen_pairs",
    "chosen_pairs_measured",
    "chosen_shining_better",
    "chosen_shining_worse",
    "chosen_rising_classified_rising",
    "chosen_shining_classified_shining",
    "chosen_same_peer_group",
    "chosen_far",
    "chosen_mean_gap",
    "chosen_pairs_measured_at_launch",
    "chosen_shining_worse_at_launch",
    "chosen_mean_gap_at_launch",
    "rising_institutions",
    "recommended_pairs",
    "unmatched_rising",
    "recommended_same_peer_group",
    "recommended_far",
    "recommended_mean_gap",
    "agreement",
)


def _optional_bool(value: object) -> bool | None:
    return None if value is None or pd.isna(value) else bool(value)


def assess_chosen_pairs(
    chosen: pd.DataFrame,
    classification: pd.DataFrame,
    recommendations: pd.DataFrame,
    institutions: pd.DataFrame,
    *,
    launch_scores: pd.DataFrame | None = None,
    adjacency: frozenset[frozenset[str]] = PROVINCE_ADJACENCY,
) -> pd.DataFrame:
    """One row per chosen pair × metric of its topic (topics without a metric are skipped).

    ``chosen``: rising_institution_id, shining_institution_id, topic (is_active optional).
    ``classification`` / ``recommendations``: all metrics, with topic and metric columns.
    ``launch_scores`` (optional): topic, metric, institution_id, value, score at the launch
    workshop. ``gap`` (``gap_at_launch``) is positive when the chosen shining partner does
    better on the metric (at the launch); null when either side is not measured.
    """
    groups = peer_groups(institutions).to_dict()
    province = dict(zip(institutions["institution_id"], institutions["province"], strict=True))
    metrics = classification.loc[:, ["topic", "metric"]].drop_duplicates()
    matched = recommendations.loc[recommendations["is_matched"].astype(bool)]
    recommended = {
        (r.topic, r.metric, r.rising_institution_id): (r.shining_institution_id, r.gap)
        for r in matched.itertuples()
    }
    classified = {
        (r.topic, r.metric, r.institution_id): r for r in classification.itertuples(index=False)
    }
    at_launch = {}
    if launch_scores is not None:
        at_launch = {
            (r.topic, r.metric, r.institution_id): (float(r.value), float(r.score))
            for r in launch_scores.itertuples(index=False)
            if not pd.isna(r.value)
        }
    rows: list[dict[str, object]] = []
    pairs = chosen.sort_values(
        ["topic", "rising_institution_id", "shining_institution_id"], kind="mergesort"
    )
    for pair in pairs.itertuples(index=False):
        for topic, metric in metrics.loc[metrics["topic"] == pair.topic].itertuples(index=False):
            rising = classified.get((topic, metric, pair.rising_institution_id))
            shining = classified.get((topic, metric, pair.shining_institution_id))
            gap = (
                float(shining.score - rising.score)
                if rising is not None and shining is not None
                else None
            )
            rising_province = province.get(pair.rising_institution_id)
            shining_province = province.get(pair.shining_institution_id)
            distance = (
                str(distance_class(str(rising_province), str(shining_province), adjacency))
                if rising_province is not None and shining_province is not None
                else None
            )
            same_group = (
                groups[pair.rising_institution_id] == groups[pair.shining_institution_id]
                if pair.rising_institution_id in groups and pair.shining_institution_id in groups
                else None
            )
            ours = recommended.get((topic, metric, pair.rising_institution_id))
            rising_then = at_launch.get((topic, metric, pair.rising_institution_id))
            shining_then = at_launch.get((topic, metric, pair.shining_institution_id))
            gap_then = (
                shining_then[1] - rising_then[1]
                if rising_then is not None and shining_then is not None
                else None
            )
            rows.append(
                {
                    "topic": topic,
                    "metric": metric,
                    "rising_institution_id": pair.rising_institution_id,
                    "shining_institution_id": pair.shining_institution_id,
                    "is_active": _optional_bool(getattr(pair, "is_active", None)),
                    "rising_value": None if rising is None else float(rising.value),
                    "shining_value": None if shining is None else float(shining.value),
                    "gap": gap,
                    "is_shining_better": None if gap is None else gap > 0,
                    "rising_role": None if rising is None else rising.role,
                    "shining_role": None if shining is None else shining.role,
                    "same_peer_group": same_group,
                    "distance_class": distance,
                    "recommended_shining_institution_id": None if ours is None else ours[0],
                    "recommended_gap": None if ours is None else float(ours[1]),
                    "agrees_with_recommendation": ours is not None
                    and ours[0] == pair.shining_institution_id,
                    "rising_value_at_launch": None if rising_then is None else rising_then[0],
                    "shining_value_at_launch": None if shining_then is None else shining_then[0],
                    "gap_at_launch": gap_then,
                    "is_shining_better_at_launch": None if gap_then is None else gap_then > 0,
                }
            )
    return pd.DataFrame(rows, columns=list(ASSESSED_COLUMNS))


def _mean(values: pd.Series) -> float | None:
    numbers = pd.to_numeric(values, errors="coerce").dropna()
    return float(numbers.mean()) if len(numbers) else None


def _count(flags: pd.Series) -> int:
    return int(np.sum([bool(f) for f in flags if f is not None and not pd.isna(f)]))


def summarise_comparison(
    assessed: pd.DataFrame, recommendations: pd.DataFrame, classification: pd.DataFrame
) -> pd.DataFrame:
    """One row per (topic, metric): the chosen pairs' quality, ours, and how far they agree."""
    rows: list[dict[str, object]] = []
    keys = classification.loc[:, ["topic", "metric"]].drop_duplicates()
    for topic, metric in keys.sort_values(["topic", "metric"]).itertuples(index=False):
        mine = recommendations.loc[
            (recommendations["topic"] == topic) & (recommendations["metric"] == metric)
        ]
        matched = mine.loc[mine["is_matched"].astype(bool)]
        theirs = assessed.loc[(assessed["topic"] == topic) & (assessed["metric"] == metric)]
        measured = theirs.loc[theirs["gap"].notna()]
        gaps = pd.to_numeric(measured["gap"])
        measured_then = theirs.loc[theirs["gap_at_launch"].notna()]
        gaps_then = pd.to_numeric(measured_then["gap_at_launch"])
        rows.append(
            {
                "topic": topic,
                "metric": metric,
                "chosen_pairs": len(theirs),
                "chosen_pairs_measured": len(measured),
                "chosen_shining_better": int((gaps > 0).sum()),
                "chosen_shining_worse": int((gaps < 0).sum()),
                "chosen_rising_classified_rising": int((theirs["rising_role"] == "rising").sum()),
                "chosen_shining_classified_shining": int(
                    (theirs["shining_role"] == "shining").sum()
                ),
                "chosen_same_peer_group": _count(theirs["same_peer_group"]),
                "chosen_far": int((theirs["distance_class"] == DistanceClass.FAR.value).sum()),
                "chosen_mean_gap": _mean(measured["gap"]),
                "chosen_pairs_measured_at_launch": len(measured_then),
                "chosen_shining_worse_at_launch": int((gaps_then < 0).sum()),
                "chosen_mean_gap_at_launch": _mean(measured_then["gap_at_launch"]),
                "rising_institutions": len(mine),
                "recommended_pairs": len(matched),
                "unmatched_rising": len(mine) - len(matched),
                "recommended_same_peer_group": _count(matched["same_peer_group"]),
                "recommended_far": int(
                    (matched["distance_class"] == DistanceClass.FAR.value).sum()
                ),
                "recommended_mean_gap": _mean(matched["gap"]),
                "agreement": _count(theirs["agrees_with_recommendation"]),
            }
        )
    return pd.DataFrame(rows, columns=list(SUMMARY_COLUMNS))
