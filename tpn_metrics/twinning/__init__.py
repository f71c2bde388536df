"""Twinning network: rising/shining classification and partner recommendations (issue #8).

Pure computation (pandas in, pandas/dataclasses out):

- :func:`classify_institutions` — rising / middle / shining within peer groups;
- :func:`recommend_pairs` — the capacitated assignment of shining partners;
- :func:`compute_twinning` — every topic at once, the comparison with the workshop's pairs
  and the network edges.

Warehouse and outputs: :func:`run_twinning` (read marts, write the ``twinning`` schema, draw
the PNG) and :func:`report_section` (the evaluation report's section). Configuration:
``topics.yaml`` (:func:`load_topic_metrics`), :class:`TwinningConfig`, :class:`CostWeights`.

Nothing heavy is imported with the package (``tpn --help`` imports the CLI): every name
above loads its module on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tpn_metrics.twinning.classify import Role, classify_institutions
    from tpn_metrics.twinning.compute import (
        TwinningConfig,
        TwinningInputs,
        TwinningResult,
        compute_twinning,
    )
    from tpn_metrics.twinning.geography import PROVINCE_ADJACENCY, DistanceClass, distance_class
    from tpn_metrics.twinning.plot import report_section
    from tpn_metrics.twinning.recommend import CostWeights, recommend_pairs
    from tpn_metrics.twinning.topics import Thresholds, TopicMetric, load_topic_metrics
    from tpn_metrics.twinning.warehouse import TwinningRun, run_twinning

__all__ = [
    "PROVINCE_ADJACENCY",
    "CostWeights",
    "DistanceClass",
    "Role",
    "Thresholds",
    "TopicMetric",
    "TwinningConfig",
    "TwinningInputs",
    "TwinningResult",
    "TwinningRun",
    "classify_institutions",
    "compute_twinning",
    "distance_class",
    "load_topic_metrics",
    "recommend_pairs",
    "report_section",
    "run_twinning",
]

_LAZY = {
    "Role": "classify",
    "classify_institutions": "classify",
    "TwinningConfig": "compute",
    "TwinningInputs": "compute",
    "TwinningResult": "compute",
    "compute_twinning": "compute",
    "PROVINCE_ADJACENCY": "geography",
    "DistanceClass": "geography",
    "distance_class": "geography",
    "report_section": "plot",
    "CostWeights": "recommend",
    "recommend_pairs": "recommend",
    "Thresholds": "topics",
    "TopicMetric": "topics",
    "load_topic_metrics": "topics",
    "TwinningRun": "warehouse",
    "run_twinning": "warehouse",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(f"{__name__}.{_LAZY[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
