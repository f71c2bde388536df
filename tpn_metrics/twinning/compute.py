"""Everything twinning computes, from frames already read: classify, pair, compare, connect.

Pure: :func:`compute_twinning` takes the inputs as pandas frames (see :class:`TwinningInputs`)
and returns frames; reading and writing the warehouse is :mod:`tpn_metrics.twinning.warehouse`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import pandas as pd

from tpn_metrics.twinning.classify import CLASSIFICATION_COLUMNS, classify_institutions
from tpn_metrics.twinning.compare import assess_chosen_pairs, summarise_comparison
from tpn_metrics.twinning.geography import PROVINCE_ADJACENCY
from tpn_metrics.twinning.institution_names import institution_names, with_names
from tpn_metrics.twinning.network import network_edges
from tpn_metrics.twinning.recommend import RECOMMENDATION_COLUMNS, CostWeights, recommend_pairs
from tpn_metrics.twinning.topics import TopicMetric, select_topics

CLASSIFICATION_TABLE_COLUMNS = ("topic", "metric", *CLASSIFICATION_COLUMNS)
LAUNCH_COLUMNS = ("topic", "metric", "institution_id", "value", "score")


@dataclass(frozen=True)
class TwinningConfig:
    """Knobs of the recommendation (thresholds live per metric, in topics.yaml)."""

    #: How many rising institutions one shining institution may host, per (topic, metric).
    capacity: int = 2
    weights: CostWeights = field(default_factory=CostWeights)
    adjacency: frozenset[frozenset[str]] = PROVINCE_ADJACENCY
    #: Only TPN members (dim_institution.is_tpn_member) are classified and paired.
    members_only: bool = True


@dataclass(frozen=True)
class TwinningInputs:
    """What the computation reads.

    institutions: institution_id, institution_name, institution_kind, district_id, province,
    is_urban, hospital_category, is_tpn_member. values: (topic, metric) → frame of
    institution_id, value, as_of. priorities / strengths: institution_id, topic. chosen:
    rising_institution_id, shining_institution_id, topic, is_active. launch_values: like
    values, at the launch workshop (metrics with a launch_sql only).
    """

    institutions: pd.DataFrame
    values: Mapping[tuple[str, str], pd.DataFrame]
    priorities: pd.DataFrame
    strengths: pd.DataFrame
    chosen: pd.DataFrame
    launch_values: Mapping[tuple[str, str], pd.DataFrame] = field(default_factory=dict)


@dataclass(frozen=True)
class TwinningResult:
    """Everything :func:`compute_twinning` returns, one pandas frame per ``twinning`` table.

    ``metrics``: the topic metrics computed; ``institutions``: the institutions classified
    (TPN members only by default), sorted by id; ``classification``: one row per topic ×
    metric × institution measured (``CLASSIFICATION_TABLE_COLUMNS``); ``recommendations``:
    one row per recommended pair or unmatched rising institution (``RECOMMENDATION_COLUMNS``);
    ``network``: one row per edge (recommended or chosen pair); ``assessed``: one row per
    chosen pair × metric of its topic; ``summary``: one row per topic × metric comparing the
    chosen pairs with the recommended ones. Every frame but ``summary`` and ``institutions``
    carries institution names beside their ids. Gaps are in each metric's difference unit
    (pp for percentages).
    """

    metrics: tuple[TopicMetric, ...]
    institutions: pd.DataFrame
    classification: pd.DataFrame
    recommendations: pd.DataFrame
    network: pd.DataFrame
    assessed: pd.DataFrame
    summary: pd.DataFrame
    #: The topics computed (None = every topic with a metric, and every chosen pair).
    topics: tuple[str, ...] | None = None

    def metric(self, topic: str, metric: str) -> TopicMetric:
        """The computed :class:`TopicMetric` with this topic and metric name; StopIteration
        when it was not computed."""
        return next(m for m in self.metrics if m.key == (topic, metric))


def _ids_listing(frame: pd.DataFrame, topic: str) -> frozenset[str]:
    return frozenset(str(i) for i in frame.loc[frame["topic"] == topic, "institution_id"])


def _concat(frames: Sequence[pd.DataFrame], columns: Sequence[str]) -> pd.DataFrame:
    frames = [f for f in frames if len(f)]
    if not frames:
        return pd.DataFrame(columns=list(columns))
    return pd.concat(frames, ignore_index=True).loc[:, list(columns)]


def compute_twinning(
    inputs: TwinningInputs,
    metrics: Sequence[TopicMetric],
    config: TwinningConfig | None = None,
    *,
    topics: Iterable[str] | None = None,
) -> TwinningResult:
    """Classify, recommend, compare with the chosen pairs and build the network.

    ``topics`` restricts everything (metrics and chosen pairs) to those topics; each must have
    a metric. The result does not depend on the order of any input's rows.
    """
    config = config or TwinningConfig()
    topic_filter = None if topics is None else tuple(dict.fromkeys(topics))
    selected = select_topics(metrics, topic_filter)
    institutions = inputs.institutions.sort_values("institution_id", kind="mergesort")
    if config.members_only and "is_tpn_member" in institutions.columns:
        institutions = institutions.loc[institutions["is_tpn_member"].astype(bool)]
    institutions = institutions.reset_index(drop=True)
    members = set(institutions["institution_id"])
    classified: list[pd.DataFrame] = []
    recommended: list[pd.DataFrame] = []
    launch: list[pd.DataFrame] = []
    for metric in sorted(selected, key=lambda m: m.key):
        values = inputs.values.get(metric.key, pd.DataFrame(columns=["institution_id", "value"]))
        classification = classify_institutions(
            values,
            institutions,
            higher_is_better=metric.higher_is_better,
            thresholds=metric.thresholds,
        )
        recommendations = recommend_pairs(
            classification,
            institutions,
            topic=metric.topic,
            metric=metric.metric,
            unit=metric.difference_unit,
            priorities=_ids_listing(inputs.priorities, metric.topic),
            strengths=_ids_listing(inputs.strengths, metric.topic),
            capacity=config.capacity,
            weights=config.weights,
            adjacency=config.adjacency,
        )
        classification.insert(0, "metric", metric.metric)
        classification.insert(0, "topic", metric.topic)
        classified.append(classification)
        recommended.append(recommendations)
        if metric.key in inputs.launch_values:
            then = inputs.launch_values[metric.key]
            then = then.loc[then["value"].notna(), ["institution_id", "value"]].astype(
                {"value": float}
            )
            launch.append(
                then.assign(
                    topic=metric.topic,
                    metric=metric.metric,
                    score=then["value"] if metric.higher_is_better else -then["value"],
                )
            )
    classification = _concat(classified, CLASSIFICATION_TABLE_COLUMNS)
    recommendations = _concat(recommended, RECOMMENDATION_COLUMNS)
    chosen = inputs.chosen
    if topic_filter is not None:
        chosen = chosen.loc[chosen["topic"].isin(topic_filter)]
    if config.members_only:
        chosen = chosen.loc[
            chosen["rising_institution_id"].isin(members)
            & chosen["shining_institution_id"].isin(members)
        ]
    chosen = chosen.sort_values(
        ["topic", "rising_institution_id", "shining_institution_id"], kind="mergesort"
    ).reset_index(drop=True)
    assessed = assess_chosen_pairs(
        chosen,
        classification,
        recommendations,
        institutions,
        launch_scores=_concat(launch, LAUNCH_COLUMNS),
        adjacency=config.adjacency,
    )
    summary = summarise_comparison(assessed, recommendations, classification)
    network = network_edges(
        recommendations,
        chosen,
        assessed,
        primary_metrics={m.key for m in selected if m.primary},
    )
    # Names beside ids in every table (all institutions: a chosen pair may name a non-member).
    names = institution_names(inputs.institutions)
    return TwinningResult(
        metrics=tuple(selected),
        institutions=institutions,
        classification=with_names(classification, names),
        recommendations=with_names(recommendations, names),
        network=with_names(network, names),
        assessed=with_names(assessed, names),
        summary=summary,
        topics=topic_filter,
    )
