"""Which topics have a metric, and how to classify and pair on it: the configuration.

The registry of metrics is ``topics.yaml`` beside this module (or any file of the same shape):
one entry per (topic, metric) with the SQL that measures institutions, or the DHIS2 service
indicator whose monthly values measure them (``service_indicator``: the SQL is then generated,
:mod:`tpn_metrics.twinning.service_sql`). Adding a topic is adding an entry; nothing else in
the package names a topic.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from tpn_metrics.twinning.service_sql import (
    DATA_ITEMS_SEED,
    measure_item_codes,
    service_indicator_sql,
)

DEFAULT_TOPICS_FILE = Path(__file__).with_name("topics.yaml")


@dataclass(frozen=True)
class Thresholds:
    """How a peer group is cut into rising / middle / shining.

    Within a group of n institutions, each gets its mid-rank percentile
    p = (rank − 0.5) / n (rank 1 = worst, ties share their average rank). ``p <= rising_share``
    is rising, ``p >= 1 − shining_share`` is shining, the rest middle. Groups smaller than
    ``min_peer_group_size`` are classified within all measured institutions of the same kind.
    """

    rising_share: float = 1 / 3
    shining_share: float = 1 / 3
    min_peer_group_size: int = 3

    def __post_init__(self) -> None:
        if not (0 < self.rising_share < 1 and 0 < self.shining_share < 1):
            raise ValueError("rising_share and shining_share must lie strictly between 0 and 1")
        if self.rising_share + self.shining_share > 1:
            raise ValueError("rising_share + shining_share must not exceed 1")
        if self.min_peer_group_size < 1:
            raise ValueError("min_peer_group_size must be at least 1")


@dataclass(frozen=True)
class TopicMetric:
    """One metric of one topic, and the SQL that measures institutions on it."""

    topic: str
    metric: str
    sql: str
    label: str = ""
    unit: str = ""
    #: Unit of a difference between two values (``pp`` for percentages); default ``unit``.
    gap_unit: str = ""
    higher_is_better: bool = True
    primary: bool = True
    thresholds: Thresholds = field(default_factory=Thresholds)
    #: Optional SQL of the same shape giving the values at the launch workshop, to judge the
    #: pairs chosen there on what was known then (as well as on today's values).
    launch_sql: str | None = None
    #: The DHIS2 item code (``fct_service_indicators.item_code``) measuring the topic, when
    #: the metric is a service indicator (its SQL is then generated unless given).
    service_indicator: str | None = None

    @property
    def difference_unit(self) -> str:
        """The unit of a gap between two values: ``gap_unit`` if set (``pp`` for a metric in
        %), else ``unit``."""
        return self.gap_unit or self.unit

    @property
    def key(self) -> tuple[str, str]:
        """``(topic, metric)``, the metric's identity across inputs and outputs."""
        return (self.topic, self.metric)


_THRESHOLD_KEYS = ("rising_share", "shining_share", "min_peer_group_size")
_KNOWN_KEYS = {
    "topic",
    "metric",
    "sql",
    "launch_sql",
    "label",
    "unit",
    "gap_unit",
    "higher_is_better",
    "primary",
    "service_indicator",
    *_THRESHOLD_KEYS,
}


def _service_indicator(
    raw: dict[str, Any], position: int, item_codes: frozenset[str] | None
) -> str | None:
    if not raw.get("service_indicator"):
        return None
    code = str(raw["service_indicator"])
    if item_codes is not None and code not in item_codes:
        raise ValueError(
            f"topics entry {position}: service_indicator '{code}' is not an indicator or "
            f"reporting-rate code of {DATA_ITEMS_SEED} (known: {', '.join(sorted(item_codes))})"
        )
    return code


def _entry(
    raw: dict[str, Any],
    position: int,
    first_of_topic: bool,
    item_codes: frozenset[str] | None = None,
) -> TopicMetric:
    unknown = set(raw) - _KNOWN_KEYS
    if unknown:
        raise ValueError(f"topics entry {position}: unknown key(s) {sorted(unknown)}")
    service = _service_indicator(raw, position, item_codes)
    for required in ("topic", "metric") if service else ("topic", "metric", "sql"):
        if not raw.get(required):
            raise ValueError(f"topics entry {position}: '{required}' is required")
    sql = str(raw["sql"]) if raw.get("sql") else service_indicator_sql(str(service))
    launch_sql = str(raw["launch_sql"]) if raw.get("launch_sql") else None
    if service and launch_sql is None and not raw.get("sql"):
        launch_sql = service_indicator_sql(service, at_launch=True)
    thresholds = Thresholds(**{k: raw[k] for k in _THRESHOLD_KEYS if k in raw})
    return TopicMetric(
        topic=str(raw["topic"]),
        metric=str(raw["metric"]),
        sql=sql,
        label=str(raw.get("label", "")),
        unit=str(raw.get("unit", "")),
        gap_unit=str(raw.get("gap_unit", "")),
        higher_is_better=bool(raw.get("higher_is_better", True)),
        primary=bool(raw.get("primary", first_of_topic)),
        thresholds=thresholds,
        launch_sql=launch_sql,
        service_indicator=service,
    )


def parse_topic_metrics(
    document: dict[str, Any], *, item_codes: frozenset[str] | None = None
) -> tuple[TopicMetric, ...]:
    """Topic metrics from a parsed YAML document (``{"topics": [...]}``), in file order; the
    first metric of a topic is its primary one unless stated. ``item_codes``: the DHIS2 codes
    a ``service_indicator`` may name (None: not checked). Raises ValueError naming the
    entry when the document is not that shape or an entry is invalid (an unknown
    ``service_indicator`` among them), and as :func:`validate_topic_metrics` does."""
    entries = document.get("topics") if isinstance(document, dict) else None
    if not isinstance(entries, list):
        raise ValueError("the topics file must hold a list under 'topics'")
    metrics: list[TopicMetric] = []
    seen_topics: set[str] = set()
    for position, raw in enumerate(entries, start=1):
        if not isinstance(raw, dict):
            raise ValueError(f"topics entry {position} is not a mapping")
        topic = str(raw.get("topic", ""))
        metrics.append(_entry(raw, position, topic not in seen_topics, item_codes))
        seen_topics.add(topic)
    return validate_topic_metrics(metrics)


def validate_topic_metrics(metrics: Iterable[TopicMetric]) -> tuple[TopicMetric, ...]:
    """The metrics as a tuple, once checked: ValueError on a duplicate (topic, metric) key
    or a topic without exactly one primary metric."""
    metrics = tuple(metrics)
    keys = [m.key for m in metrics]
    duplicates = sorted({k for k in keys if keys.count(k) > 1})
    if duplicates:
        raise ValueError(f"duplicate (topic, metric): {duplicates}")
    for topic in sorted({m.topic for m in metrics}):
        primaries = [m.metric for m in metrics if m.topic == topic and m.primary]
        if len(primaries) != 1:
            raise ValueError(
                f"topic '{topic}' needs exactly one primary metric, has {primaries or 'none'}"
            )
    return metrics


def load_topic_metrics(
    path: Path = DEFAULT_TOPICS_FILE, *, seeds_dir: Path | None = None
) -> tuple[TopicMetric, ...]:
    """Read and validate a topics file (default: the package's ``topics.yaml``), checking each
    ``service_indicator`` against ``seeds_dir``/dhis2_data_items.csv (default: the settings'
    seeds folder). OSError when a file cannot be read, ValueError as
    :func:`parse_topic_metrics`."""
    if seeds_dir is None:
        from tpn_metrics.settings import Settings

        seeds_dir = Settings().seeds_dir
    with path.open(encoding="utf-8") as handle:
        document = yaml.safe_load(handle)
    return parse_topic_metrics(document, item_codes=measure_item_codes(seeds_dir / DATA_ITEMS_SEED))


def select_topics(
    metrics: Sequence[TopicMetric], topics: Iterable[str] | None
) -> tuple[TopicMetric, ...]:
    """The metrics of the given topics, in the order of ``metrics`` (all when ``topics`` is
    None); ValueError naming the topics that have no metric."""
    if topics is None:
        return tuple(metrics)
    wanted = list(dict.fromkeys(topics))
    known = {m.topic for m in metrics}
    unknown = [t for t in wanted if t not in known]
    if unknown:
        raise ValueError(f"no metric for topic(s) {unknown}; topics with a metric: {sorted(known)}")
    return tuple(m for m in metrics if m.topic in wanted)
