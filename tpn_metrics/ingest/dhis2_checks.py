"""Checks on a DHIS2 export's numbers and rows: strict numbers, DHIS2's own factor, one level.

Sources (DHIS2 developer docs, dhis2/dhis2-docs ``src/developer/web-api/analytics.md``):
§ "Request query parameters" ``includeNumDen`` adds ``numerator``, ``denominator``,
``factor``, ``multiplier`` and ``divisor`` to each indicator row, value = numerator /
denominator × factor with factor = multiplier / divisor. An *annualized* indicator
(dhis2-core ``DefaultExpressionService``/``AnnualizationUtils``: × days in a year / days in
the period) is exported with its annual factor, e.g. 100 × 365 / 31 = 1177.42 on a March row,
so its denominator is the year's; § "hierarchyMeta" → ``metaData.ouHierarchy`` gives each
org unit's ancestors, which tells a sector from its own facilities.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd

from tpn_metrics.ingest.parsed import line_ranges

# DHIS2 writes numbers in ASCII with '.' decimals ("81.1", "1.5E3"); no "1_000", no
# full-width or other scripts' digits, no "NaN"/"Infinity", no thousands separators.
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$", re.ASCII)
# Rounding allowed between value and numerator / denominator × factor: DHIS2 rounds values
# to 1 or 2 decimals (and the written factor, 1177.4 for 1177.419...).
_ABSOLUTE_ROUNDING = 0.051
_RELATIVE_ROUNDING = 0.002


def parse_dhis2_number(text: str) -> float:
    """A DHIS2 value (written as text, ASCII, '.' decimals: "81.1", "-3", "1.5E3") as a float.

    Raises ValueError for anything else: "NaN", "Infinity", "1_000", "1,5", "１２", "1e999".
    """
    if not _NUMBER.match(text):
        raise ValueError(text)
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(text)
    return value


def exported_factor(
    multiplier: float | None, divisor: float | None, factor: float | None
) -> float | None:
    """DHIS2's factor of a row: multiplier / divisor when both are given (exact), else the
    written ``factor`` (rounded to 1 decimal by DHIS2), else None (no includeNumDen)."""
    if multiplier is not None and divisor:
        return multiplier / divisor
    return factor


@dataclass(frozen=True)
class Reconciled:
    """A row's denominator on the seed's factor, or why value and components disagree.

    ``denominator`` is what to land (rescaled when DHIS2's factor is not the seed's);
    ``rescaled_from`` the exported factor when it was rescaled; ``disagreement`` a sentence
    (value vs numerator / denominator × factor) when they disagree beyond rounding.
    """

    denominator: float | None
    rescaled_from: float | None = None
    disagreement: str | None = None


def reconcile(
    value: float,
    numerator: float | None,
    denominator: float | None,
    exported: float | None,
    seed_factor: float,
) -> Reconciled:
    """Put a row on the seed's factor (dhis2_data_items.csv) so value = num / den × factor.

    With DHIS2's factor f (exported) and ours F (seed): value = num / den × f
    = num / (den × F / f) × F, so the landed denominator is den × F / f (for an annualized
    monthly indicator, the month's share of the annual denominator). Checks value against
    num / den × f first; a disagreement beyond rounding is returned, not rescaled.
    """
    factor = exported if exported is not None else seed_factor
    if numerator is None or not denominator or factor <= 0:
        return Reconciled(denominator)
    expected = numerator / denominator * factor
    if abs(expected - value) > max(_ABSOLUTE_ROUNDING, _RELATIVE_ROUNDING * abs(expected)):
        return Reconciled(
            denominator,
            disagreement=(
                f"value {value:g} ≠ numerator / denominator × factor = {numerator:g} / "
                f"{denominator:g} × {factor:g} = {expected:.4g}"
            ),
        )
    if math.isclose(factor, seed_factor, rel_tol=_RELATIVE_ROUNDING / 10):
        return Reconciled(denominator)
    return Reconciled(denominator * seed_factor / factor, rescaled_from=factor)


def rescale_warnings(
    rescaled: Mapping[tuple[str, str], tuple[float, set[float], int]],
) -> list[str]:
    """One warning per item whose denominators were rescaled.

    ``rescaled`` maps (item_code, data item uid) to (seed factor, DHIS2 factors seen, rows).
    """
    out = []
    for (code, uid), (seed, factors, count) in sorted(rescaled.items()):
        shown = ", ".join(f"{f:.6g}" for f in sorted(factors))
        out.append(
            f"{code} ({uid}): DHIS2 exported factor {shown}, not {seed:g} as in "
            f"dhis2_data_items.csv (an annualized DHIS2 indicator carries the year's "
            f"denominator); denominator rescaled to the period's share (× {seed:g} / factor) "
            f"on {count} row(s), values unchanged"
        )
    return out


def _unit_keys(
    uid: str, name: str, hierarchy: Mapping[str, tuple[str, ...]]
) -> tuple[str, set[str]]:
    """(the unit's key, its ancestors' keys): uids from ouHierarchy, else a showHierarchy path."""
    if uid in hierarchy:
        return f"uid:{uid}", {f"uid:{a}" for a in hierarchy[uid]}
    parts = [p.strip() for p in name.split("/") if p.strip()]
    if len(parts) > 1:
        return f"path:{'/'.join(parts)}", {
            f"path:{'/'.join(parts[:i])}" for i in range(1, len(parts))
        }
    return f"uid:{uid}", set()


def nested_org_units(
    frame: pd.DataFrame, hierarchy: Mapping[str, tuple[str, ...]], unit: str
) -> list[str]:
    """Refusal sentences for rows whose org unit is an ancestor of another row's org unit
    (same data item and period), unless the ancestor is a district or a hospital.

    ``frame`` has ``data_item_uid``, ``period_id``, ``org_unit_uid``,
    ``org_unit_name_received``, ``org_unit_level``, ``row_number``. A sector (or any unit
    below a district) beside its own health centres would be summed with them into the
    district; a district row beside its facilities is fine (the district row wins in dbt).
    """
    keys: dict[str, tuple[str, set[str]]] = {}
    shown: dict[str, str] = {}
    for uid, name in (
        frame[["org_unit_uid", "org_unit_name_received"]].drop_duplicates().itertuples(index=False)
    ):
        text = name if isinstance(name, str) else ""
        keys[uid] = _unit_keys(uid, text, hierarchy)
        shown[uid] = f"'{text.split('/')[-1].strip() or uid}' ({uid})" if text else uid
    by_key = {key: uid for uid, (key, _) in keys.items()}
    pairs: dict[tuple[str, str], list[int]] = {}
    levels = dict(zip(frame["org_unit_uid"], frame["org_unit_level"], strict=True))
    for _, group in frame.groupby(["data_item_uid", "period_id"], sort=False):
        present = set(group["org_unit_uid"])
        for uid in present:
            for ancestor_key in keys[uid][1]:
                ancestor = by_key.get(ancestor_key)
                if ancestor is None or ancestor not in present:
                    continue
                if levels[ancestor] not in ("district", "hospital"):
                    rows = group[group["org_unit_uid"].isin((ancestor, uid))]["row_number"]
                    pairs.setdefault((ancestor, uid), []).extend(int(r) for r in rows)
    return [
        f"org unit {shown[ancestor]} and {shown[uid]} below it are both in the file for the "
        f"same data and period ({unit}s {line_ranges(rows)}): their sum would count "
        f"{shown[uid]} twice; export one level (facilities, with their districts if wanted)"
        for (ancestor, uid), rows in pairs.items()
    ]
