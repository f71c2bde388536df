"""Decline of the uninsured share, as the 2024 paper computes it.

The uninsured share of a district is u = 100 − coverage (% of the target population). The paper
reports, per group, the relative decline of the *group means*:

    decline = (ū0 − ū1) / ū0 × 100     (% of the baseline uninsured share; positive = fewer
                                         uninsured, negative = the share rose)

where ū0 and ū1 are the mean uninsured shares at baseline and endline over the group's
districts. That is not the mean of the districts' own declines, which is also given per
district where it is defined (u0 > 0).

Coverage above 100 % (RSSB targets projected from an old census) leaves a negative uninsured
share, which is meaningless: such a district is excluded from that measure, with the reason
named, and kept for the other (corrected coverage rarely passes 100 %). A district without a
value at either date is excluded likewise.

This is the project's one definition: the paper's "uninsured share fell by 35 % vs 22 %" is a
decline of +35 vs +22. The difference focus − comparison of the two declines is in percentage
points (35 % − 22 % = 13 percentage points), positive when the focus group's declined more. Its
95% interval is a percentile bootstrap over districts within each group, its one-sided p-value
(focus declines more) a permutation test of the group labels (both from ``scipy.stats``),
because the ratio of means has no simple standard error.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy import stats as sps

Coverage = Literal["reported", "corrected"]
DISTRICT_COLUMNS = (
    "institution_id",
    "institution_name",
    "is_focus",
    "coverage_baseline_pct",
    "coverage_endline_pct",
    "uninsured_baseline_pct",
    "uninsured_endline_pct",
    "decline_pct",
    "excluded_reason",
)


@dataclass(frozen=True)
class UninsuredGroup:
    """One group's mean uninsured shares (% of target population) over its ``n`` included
    districts, and their relative decline (% of the baseline uninsured share)."""

    n: int
    n_excluded: int
    uninsured_baseline_pct: float
    uninsured_endline_pct: float
    decline_pct: float


@dataclass(frozen=True)
class UninsuredDecline:
    """The decline for one coverage measure. ``districts`` has ``DISTRICT_COLUMNS``;
    ``difference_pp`` = focus decline − comparison decline (each in % of the baseline
    uninsured share), in percentage points; ``p_value`` is one-sided (focus declines more)."""

    coverage: Coverage
    baseline_label: str
    endline_label: str
    districts: pd.DataFrame
    focus: UninsuredGroup
    comparison: UninsuredGroup
    difference_pp: float
    ci_low_pp: float
    ci_high_pp: float
    p_value: float
    n_resamples: int
    seed: int

    @property
    def excluded(self) -> pd.DataFrame:
        """The districts left out, with their ``excluded_reason``."""
        return self.districts[self.districts["excluded_reason"].notna()]


def _reason(measure: str, baseline: float, endline: float) -> str | None:
    if math.isnan(baseline):
        return f"no {measure} coverage at baseline"
    if math.isnan(endline):
        return f"no {measure} coverage at endline"
    over = [
        f"{when} {value:.1f} %"
        for when, value in (("baseline", baseline), ("endline", endline))
        if value > 100
    ]
    if over:
        return f"{measure} coverage above 100 % ({', '.join(over)}): uninsured share undefined"
    return None


def district_declines(frame: pd.DataFrame, coverage: Coverage) -> pd.DataFrame:
    """Per district: uninsured shares, own relative decline and why it is excluded (or None).

    ``frame``: ``institution_id``, ``institution_name``, ``is_focus``, ``baseline``,
    ``endline`` (coverage, % of target population; NaN when not reported).
    """
    baseline = pd.to_numeric(frame["baseline"]).astype(float)
    endline = pd.to_numeric(frame["endline"]).astype(float)
    reasons = [_reason(coverage, b, e) for b, e in zip(baseline, endline, strict=True)]
    included = pd.Series([r is None for r in reasons], index=frame.index)
    u0 = (100 - baseline).where(included)
    u1 = (100 - endline).where(included)
    decline = ((u0 - u1) / u0 * 100).where(u0 > 0)
    names = frame["institution_name"] if "institution_name" in frame else frame["institution_id"]
    return pd.DataFrame(
        {
            "institution_id": frame["institution_id"],
            "institution_name": names,
            "is_focus": frame["is_focus"].astype(bool),
            "coverage_baseline_pct": baseline,
            "coverage_endline_pct": endline,
            "uninsured_baseline_pct": u0,
            "uninsured_endline_pct": u1,
            "decline_pct": decline,
            "excluded_reason": pd.Series(reasons, index=frame.index, dtype=object),
        }
    ).reset_index(drop=True)


def group_decline(u0: npt.ArrayLike, u1: npt.ArrayLike, axis: int = -1) -> npt.NDArray[Any]:
    """(ū0 − ū1) / ū0 × 100 along ``axis`` (NaN where ū0 is 0)."""
    mean0 = np.mean(np.asarray(u0, dtype=np.float64), axis=axis)
    mean1 = np.mean(np.asarray(u1, dtype=np.float64), axis=axis)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(mean0 > 0, (mean0 - mean1) / mean0 * 100, np.nan)


def _group(districts: pd.DataFrame, is_focus: bool) -> UninsuredGroup:
    rows = districts[districts["is_focus"] == is_focus]
    used = rows[rows["excluded_reason"].isna()]
    u0 = used["uninsured_baseline_pct"].to_numpy(dtype=float)
    u1 = used["uninsured_endline_pct"].to_numpy(dtype=float)
    return UninsuredGroup(
        n=len(used),
        n_excluded=len(rows) - len(used),
        uninsured_baseline_pct=float(u0.mean()) if len(used) else math.nan,
        uninsured_endline_pct=float(u1.mean()) if len(used) else math.nan,
        decline_pct=float(group_decline(u0, u1)) if len(used) else math.nan,
    )


def uninsured_decline(
    frame: pd.DataFrame,
    coverage: Coverage,
    *,
    baseline_label: str,
    endline_label: str,
    n_resamples: int = 10_000,
    seed: int = 20240,
) -> UninsuredDecline:
    """Group-level decline of the uninsured share, focus vs comparison (see module doc)."""
    districts = district_declines(frame, coverage)
    focus, comparison = _group(districts, True), _group(districts, False)
    used = districts[districts["excluded_reason"].isna()]
    u0 = used["uninsured_baseline_pct"].to_numpy(dtype=float)
    u1 = used["uninsured_endline_pct"].to_numpy(dtype=float)
    is_focus = used["is_focus"].to_numpy(dtype=bool)

    def difference(
        focus_rows: npt.NDArray[Any], other_rows: npt.NDArray[Any], axis: int = -1
    ) -> npt.NDArray[Any]:
        # Samples are row positions (as floats): resampling a district keeps its u0 with its u1.
        f, o = focus_rows.astype(np.intp), other_rows.astype(np.intp)
        focus_decline = group_decline(u0[f], u1[f], axis)
        other_decline = group_decline(u0[o], u1[o], axis)
        return np.asarray(focus_decline - other_decline)

    positions = np.arange(len(used), dtype=float)
    samples = (positions[is_focus], positions[~is_focus])
    estimate = float(difference(*samples)) if focus.n and comparison.n else math.nan
    low = high = p_value = math.nan
    if focus.n >= 2 and comparison.n >= 2:
        interval = sps.bootstrap(
            samples,
            difference,
            n_resamples=n_resamples,
            method="percentile",
            vectorized=True,
            random_state=np.random.default_rng(seed),
        ).confidence_interval
        low, high = float(interval.low), float(interval.high)
        p_value = float(
            sps.permutation_test(
                samples,
                difference,
                permutation_type="independent",
                alternative="greater",
                n_resamples=n_resamples,
                vectorized=True,
                random_state=np.random.default_rng(seed),
            ).pvalue
        )
    return UninsuredDecline(
        coverage=coverage,
        baseline_label=baseline_label,
        endline_label=endline_label,
        districts=districts,
        focus=focus,
        comparison=comparison,
        difference_pp=estimate,
        ci_low_pp=low,
        ci_high_pp=high,
        p_value=p_value,
        n_resamples=n_resamples,
        seed=seed,
    )
