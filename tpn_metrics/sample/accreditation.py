"""MOH accreditation scores for the surveys of 2021, 2022 and 2023.

Scores are kept in tenths of a point (integers) so the published one-decimal values are exact
and the group means of the rounded values can be set exactly: the focus hospitals' level-2
score rises by 7.8 points on average between 2021 and 2023, the comparison hospitals' by 2.2.
Focus hospitals start lower, as in the paper, so part of their gain is regression to the mean.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

SURVEY_YEARS = (2021, 2022, 2023)
BASELINE_YEAR = 2021
ENDLINE_YEAR = 2023
FOCUS_CHANGE = 7.8
COMPARISON_CHANGE = 2.2
TENTHS = 10
FULL_MARKS = 100 * TENTHS
# Hospitals whose level-2 score is exactly the same in 2023 as in 2021: real data has ties.
UNCHANGED_FOCUS = 1
UNCHANGED_COMPARISON = 2
# Share of hospitals not assessed against level-3 standards that year (blank in the file).
LEVEL_3_BLANK_SHARE = {2021: 0.25, 2022: 0.15, 2023: 0.1}


@dataclass(frozen=True)
class Scores:
    """One hospital's result in one survey, in tenths of a percentage point."""

    hospital_id: str
    survey_year: int
    level_1: int
    level_2: int
    level_3: int | None


def _exact_changes(
    rng: np.random.Generator, raw: np.ndarray, mean: float, unchanged: int
) -> np.ndarray:
    """Integer changes (tenths) near ``raw`` whose mean is exactly ``mean`` points."""
    n = len(raw)
    wanted_sum = round(mean * TENTHS * n)
    fixed = {int(i) for i in rng.choice(n, size=unchanged, replace=False)}
    free = [i for i in range(n) if i not in fixed]
    out = np.zeros(n, dtype=np.int64)
    shifted = raw[free] + (wanted_sum - raw[free].sum()) / len(free)
    out[free] = np.round(shifted).astype(np.int64)
    residual = wanted_sum - int(out.sum())
    # Rounding leaves at most a few tenths over: spread them one tenth at a time.
    for step, index in enumerate(rng.permutation(free)):
        if step >= abs(residual):
            break
        out[index] += 1 if residual > 0 else -1
    if int(out.sum()) != wanted_sum:
        raise AssertionError("accreditation changes do not add up to the target mean")
    return out


def _level_2_series(
    rng: np.random.Generator,
    n: int,
    *,
    baseline_mean: float,
    change_mean: float,
    change_sd: float,
    unchanged: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Level-2 scores (tenths) for 2021, 2022 and 2023 with exact group means of the change."""
    spread = rng.normal(0.0, 9.0 * TENTHS, n)
    baseline = np.round(baseline_mean * TENTHS + spread - spread.mean()).astype(np.int64)
    # Those who started lowest tend to gain most, on top of any programme effect.
    pull = -0.2 * (baseline - baseline.mean())
    raw = change_mean * TENTHS + pull + rng.normal(0.0, change_sd * TENTHS, n)
    change = _exact_changes(rng, raw, change_mean, unchanged)
    endline = baseline + change
    halfway = rng.uniform(0.35, 0.65, n)
    middle = np.round(baseline + change * halfway + rng.normal(0.0, 1.5 * TENTHS, n)).astype(
        np.int64
    )
    return baseline, np.clip(middle, 0, FULL_MARKS), endline


def build_scores(
    rng: np.random.Generator,
    focus: Sequence[str],
    comparison: Sequence[str],
    others: Sequence[str],
) -> tuple[Scores, ...]:
    """Scores for every surveyed hospital; ``others`` are outside the evaluation set."""
    comparison_start = rng.uniform(60.0, 65.0)
    gap = rng.uniform(5.0, 8.0)
    level_2: dict[str, tuple[int, int, int]] = {}
    for ids, start, change, sd, unchanged in (
        (focus, comparison_start - gap, FOCUS_CHANGE, 6.5, UNCHANGED_FOCUS),
        (comparison, comparison_start, COMPARISON_CHANGE, 5.5, UNCHANGED_COMPARISON),
    ):
        series = _level_2_series(
            rng,
            len(ids),
            baseline_mean=start,
            change_mean=change,
            change_sd=sd,
            unchanged=unchanged,
        )
        for i, hospital_id in enumerate(ids):
            level_2[hospital_id] = (int(series[0][i]), int(series[1][i]), int(series[2][i]))
    for hospital_id in others:
        start = round(rng.normal(76.0, 5.0) * TENTHS)
        gain = round(rng.normal(2.0, 4.0) * TENTHS)
        level_2[hospital_id] = (start, start + round(gain * rng.uniform(0.3, 0.7)), start + gain)

    out = []
    for hospital_id in [*focus, *comparison, *others]:
        above = rng.uniform(9.0, 20.0) * TENTHS
        below = rng.uniform(12.0, 30.0) * TENTHS
        for year, l2 in zip(SURVEY_YEARS, level_2[hospital_id], strict=True):
            if not 0 <= l2 <= FULL_MARKS:
                raise AssertionError(f"level-2 score out of range for {hospital_id}")
            l1 = min(FULL_MARKS, l2 + round(above + rng.normal(0.0, 1.5 * TENTHS)))
            l3 = max(0, l2 - round(below + rng.normal(0.0, 2.0 * TENTHS)))
            blank = rng.random() < LEVEL_3_BLANK_SHARE[year]
            out.append(Scores(hospital_id, year, max(l1, l2), l2, None if blank else min(l3, l2)))
    return tuple(out)


def mean_change(scores: Sequence[Scores], hospital_ids: Sequence[str]) -> float:
    """Mean level-2 change 2021 → 2023 in points, from the published one-decimal values."""
    by_key = {(s.hospital_id, s.survey_year): s.level_2 for s in scores}
    changes = [
        (by_key[(h, ENDLINE_YEAR)] - by_key[(h, BASELINE_YEAR)]) / TENTHS for h in hospital_ids
    ]
    return float(np.mean(changes))


def mean_level_2(scores: Sequence[Scores], hospital_ids: Sequence[str], year: int) -> float:
    """Mean level-2 score (%) of ``hospital_ids`` in survey ``year``, from the published values."""
    by_key = {(s.hospital_id, s.survey_year): s.level_2 for s in scores}
    return float(np.mean([by_key[(h, year)] / TENTHS for h in hospital_ids]))
