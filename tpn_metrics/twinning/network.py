"""The twinning network: one edge per pair, from the shining teacher to the rising learner."""

from __future__ import annotations

from collections.abc import Collection

import pandas as pd

NETWORK_COLUMNS = (
    "source_institution_id",
    "target_institution_id",
    "topic",
    "origin",
    "metric",
    "is_active",
    "gap",
    "is_shining_better",
)
ORIGINS = ("chosen", "recommended")


def network_edges(
    recommendations: pd.DataFrame,
    chosen: pd.DataFrame,
    assessed: pd.DataFrame,
    *,
    primary_metrics: Collection[tuple[str, str]],
) -> pd.DataFrame:
    """Edges of both origins across topics, sorted (origin, topic, source, target).

    ``recommended``: the matched recommendations of each topic's primary metric (a topic with
    two metrics, such as CBHI reported and corrected coverage, would otherwise draw two edges
    for one decision). ``chosen``: every pair of ``fct_twinning_pairs``, on any topic, with
    is_active; ``gap`` and ``is_shining_better`` from ``assessed`` on the primary metric when
    the topic has one (null otherwise). source = shining (teacher), target = rising (learner).
    """
    primary = set(primary_metrics)
    matched = recommendations.loc[recommendations["is_matched"].astype(bool)]
    keep = [
        (topic, metric) in primary
        for topic, metric in zip(matched["topic"], matched["metric"], strict=True)
    ]
    matched = matched.loc[keep]
    recommended = pd.DataFrame(
        {
            "source_institution_id": matched["shining_institution_id"],
            "target_institution_id": matched["rising_institution_id"],
            "topic": matched["topic"],
            "origin": "recommended",
            "metric": matched["metric"],
            "is_active": None,
            "gap": matched["gap"],
            "is_shining_better": True,
        }
    )
    judged = {
        (r.topic, r.rising_institution_id, r.shining_institution_id): (r.metric, r.gap)
        for r in assessed.itertuples(index=False)
        if (r.topic, r.metric) in primary
    }
    chosen_rows = []
    for pair in chosen.itertuples(index=False):
        metric, gap = judged.get(
            (pair.topic, pair.rising_institution_id, pair.shining_institution_id), (None, None)
        )
        has_gap = gap is not None and not pd.isna(gap)
        chosen_rows.append(
            {
                "source_institution_id": pair.shining_institution_id,
                "target_institution_id": pair.rising_institution_id,
                "topic": pair.topic,
                "origin": "chosen",
                "metric": metric,
                "is_active": None
                if pd.isna(getattr(pair, "is_active", None))
                else bool(pair.is_active),
                "gap": float(gap) if has_gap else None,
                "is_shining_better": bool(gap > 0) if has_gap else None,
            }
        )
    chosen_edges = pd.DataFrame(chosen_rows, columns=list(NETWORK_COLUMNS))
    frames = [f for f in (chosen_edges, recommended) if len(f)]
    if not frames:
        return pd.DataFrame(columns=list(NETWORK_COLUMNS))
    edges = pd.concat(frames, ignore_index=True).loc[:, list(NETWORK_COLUMNS)]
    return edges.sort_values(
        ["origin", "topic", "source_institution_id", "target_institution_id"], kind="mergesort"
    ).reset_index(drop=True)
