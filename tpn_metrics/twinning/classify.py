"""Rising / middle / shining: where an institution stands among like institutions on a metric.

Pure functions on pandas frames; no warehouse here (see :mod:`tpn_metrics.twinning.warehouse`).
"""

from __future__ import annotations

from enum import StrEnum

import numpy as np
import pandas as pd

from tpn_metrics.twinning.geography import kind_group, peer_group
from tpn_metrics.twinning.topics import Thresholds

INSTITUTION_COLUMNS = ("institution_id", "institution_kind", "province", "is_urban")
CLASSIFICATION_COLUMNS = (
    "institution_id",
    "institution_kind",
    "value",
    "as_of",
    "score",
    "peer_group",
    "classified_within",
    "group_size",
    "percentile",
    "role",
)
_TOLERANCE = 1e-9


class Role(StrEnum):
    """Where an institution stands in its peer group on one metric (the ``role`` column):
    shining (among the best), rising (among those with most to learn), or middle; the cut
    points are :class:`~tpn_metrics.twinning.topics.Thresholds`."""

    SHINING = "shining"
    MIDDLE = "middle"
    RISING = "rising"


def _check_columns(frame: pd.DataFrame, columns: tuple[str, ...], name: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{name} lacks column(s) {missing}")


def peer_groups(institutions: pd.DataFrame) -> pd.Series:
    """The peer group of each institution (:func:`~tpn_metrics.twinning.geography.peer_group`):
    a string Series named ``peer_group``, one entry per row of ``institutions``, indexed by
    institution_id. ValueError when a column of INSTITUTION_COLUMNS is missing."""
    _check_columns(institutions, INSTITUTION_COLUMNS, "institutions")
    category = (
        institutions["hospital_category"]
        if "hospital_category" in institutions.columns
        else pd.Series(None, index=institutions.index, dtype=object)
    )
    groups = [
        peer_group(
            str(kind),
            province=None if pd.isna(province) else str(province),
            is_urban=None if pd.isna(urban) else bool(urban),
            hospital_category=None if pd.isna(cat) else str(cat),
        )
        for kind, province, urban, cat in zip(
            institutions["institution_kind"],
            institutions["province"],
            institutions["is_urban"],
            category,
            strict=True,
        )
    ]
    return pd.Series(groups, index=institutions["institution_id"].to_numpy(), name="peer_group")


def role_from_percentile(percentile: float, thresholds: Thresholds) -> Role:
    """Rising at or below ``rising_share``, shining at or above ``1 − shining_share``."""
    rising = percentile <= thresholds.rising_share + _TOLERANCE
    shining = percentile >= 1 - thresholds.shining_share - _TOLERANCE
    if rising and not shining:
        return Role.RISING
    if shining and not rising:
        return Role.SHINING
    return Role.MIDDLE


def classify_institutions(
    values: pd.DataFrame,
    institutions: pd.DataFrame,
    *,
    higher_is_better: bool = True,
    thresholds: Thresholds | None = None,
) -> pd.DataFrame:
    """Classify each measured institution as rising, middle or shining within its peer group.

    ``values``: institution_id, value (and optionally as_of). Rows with a null value, and
    institutions missing from ``institutions``, are not classified. ``institutions``:
    institution_id, institution_kind (``district`` | ``hospital``), province, is_urban,
    hospital_category (hospitals). Returns one row per classified institution, sorted by
    institution_id, with :data:`CLASSIFICATION_COLUMNS`; ``score`` is the value oriented so
    that higher is better, ``percentile`` the mid-rank percentile within ``classified_within``
    (the peer group, or the whole kind when the peer group is smaller than
    ``thresholds.min_peer_group_size``).
    """
    thresholds = thresholds or Thresholds()
    _check_columns(values, ("institution_id", "value"), "values")
    if values["institution_id"].duplicated().any():
        duplicated = sorted(values.loc[values["institution_id"].duplicated(), "institution_id"])
        raise ValueError(f"values has more than one row for {duplicated}")
    measured = values.loc[values["value"].notna()].copy()
    if "as_of" not in measured.columns:
        measured["as_of"] = None
    groups = peer_groups(institutions)
    kinds = pd.Series(
        institutions["institution_kind"].to_numpy(), index=institutions["institution_id"]
    )
    measured = measured.loc[measured["institution_id"].isin(groups.index)]
    measured = measured.sort_values("institution_id", kind="mergesort").reset_index(drop=True)
    measured["value"] = measured["value"].astype(float)
    measured["institution_kind"] = measured["institution_id"].map(kinds)
    measured["peer_group"] = measured["institution_id"].map(groups)
    measured["score"] = measured["value"] if higher_is_better else -measured["value"]
    sizes = measured.groupby("peer_group")["institution_id"].transform("size")
    fallback = (sizes < thresholds.min_peer_group_size).to_numpy()
    measured["classified_within"] = np.where(
        fallback, measured["institution_kind"].map(kind_group), measured["peer_group"]
    )
    scores = measured["score"].to_numpy()
    kinds_array = measured["institution_kind"].to_numpy()
    groups_array = measured["peer_group"].to_numpy()
    reference_sizes: list[int] = []
    percentiles: list[float] = []
    for i, score in enumerate(scores):
        # The reference set: the peer group, or every measured institution of the kind.
        in_reference = (
            kinds_array == kinds_array[i] if fallback[i] else groups_array == groups_array[i]
        )
        reference = scores[in_reference]
        less = int(np.sum(reference < score))
        equal = int(np.sum(reference == score))
        reference_sizes.append(len(reference))
        # Mid-rank percentile: (rank − 0.5) / n, ties at their average rank.
        percentiles.append((less + equal / 2) / len(reference))
    measured["group_size"] = reference_sizes
    measured["percentile"] = percentiles
    measured["role"] = [str(role_from_percentile(p, thresholds)) for p in measured["percentile"]]
    return measured.loc[:, list(CLASSIFICATION_COLUMNS)]
