"""summarise_changes and standardised_difference: counts, percentages, missing pairs and
standardised differences, by hand."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tpn_metrics.evaluation.stats.descriptive import standardised_difference, summarise_changes
from tpn_metrics.evaluation.stats.parametric import z_test_difference, z_test_within

# ---------------------------------------------------------------------------------------------
# summarise_changes


def test_summary_counts_ties_as_unchanged_and_percentages_sum_to_100() -> None:
    # changes: +5, 0, -5, 0
    s = summarise_changes([50, 60, 70, 80], [55, 60, 65, 80])
    assert (s.n, s.n_missing) == (4, 0)
    assert (s.n_improved, s.n_unchanged, s.n_declined) == (1, 2, 1)
    assert (s.pct_improved, s.pct_unchanged, s.pct_declined) == (25.0, 50.0, 25.0)
    assert s.baseline_mean == 65.0
    assert s.endline_mean == 65.0
    assert s.mean_change_pp == 0.0
    # sample sd: sqrt((25 + 0 + 25 + 0) / 3)
    assert s.sd_change_pp == pytest.approx(math.sqrt(50 / 3), rel=1e-12)


def test_summary_tolerance_band_is_inclusive() -> None:
    # changes: +0.4 (within 0.5), +1.0, -0.5 (on the boundary), -2.0
    s = summarise_changes([50, 50, 50, 50], [50.4, 51, 49.5, 48], tolerance=0.5)
    assert (s.n_improved, s.n_unchanged, s.n_declined) == (1, 2, 1)


def test_summary_thirds_sum_to_100() -> None:
    s = summarise_changes([10, 10, 10], [11, 10, 9])
    assert s.pct_improved == pytest.approx(100 / 3)
    assert s.pct_improved + s.pct_unchanged + s.pct_declined == pytest.approx(100.0)


def test_summary_excludes_and_counts_missing_pairs() -> None:
    baseline = [10.0, None, 30.0, math.nan, 50.0]
    endline = [20.0, 25.0, math.nan, None, 45.0]
    s = summarise_changes(baseline, endline)
    # Only institutions 0 and 4 have both values: changes +10 and -5.
    assert s.n == 2
    assert s.n_missing == 3
    assert s.n_missing_baseline == 2
    assert s.n_missing_endline == 2
    assert s.baseline_mean == 30.0
    assert s.endline_mean == 32.5
    assert s.mean_change_pp == 2.5
    assert s.sd_change_pp == pytest.approx(np.std([10, -5], ddof=1))
    assert (s.n_improved, s.n_declined) == (1, 1)


def test_summary_accepts_pandas_na_and_arrays() -> None:
    s = summarise_changes(np.array([1.0, np.nan]), [pd.NA, 3.0])
    assert (s.n, s.n_missing) == (0, 2)


def test_summary_of_nothing_is_nan_not_an_error() -> None:
    s = summarise_changes([None, 1.0], [2.0, None])
    assert s.n == 0
    assert s.n_missing == 2
    for value in (s.baseline_mean, s.mean_change_pp, s.sd_change_pp, s.pct_improved):
        assert math.isnan(value)
    assert (s.n_improved, s.n_unchanged, s.n_declined) == (0, 0, 0)


def test_summary_single_pair_has_no_sd() -> None:
    s = summarise_changes([40.0], [47.0])
    assert s.mean_change_pp == 7.0
    assert math.isnan(s.sd_change_pp)
    assert s.pct_improved == 100.0


def test_summary_all_equal_changes_have_exactly_zero_sd() -> None:
    s = summarise_changes([10.0, 20.0, 30.0], [13.0, 23.0, 33.0])
    assert s.sd_change_pp == 0.0
    # In floating point these changes are 0.1, 0.09999999999999998 and 0.10000000000000009;
    # that spread is rounding and must not count as variation.
    s = summarise_changes([0.1, 0.2, 0.7], [0.2, 0.3, 0.8])
    assert s.sd_change_pp == 0.0
    assert (s.n_improved, s.n_unchanged, s.n_declined) == (3, 0, 0)


def test_rounding_noise_does_not_make_a_huge_z() -> None:
    changes = list(np.array([0.2, 0.3, 0.8]) - np.array([0.1, 0.2, 0.7]))
    assert len(set(changes)) == 3
    assert math.isnan(z_test_within(changes).statistic)
    assert math.isnan(z_test_difference(changes, [0.1, 0.1]).statistic)


@pytest.mark.parametrize(
    ("baseline", "endline", "tolerance"),
    [([1.0, 2.0], [1.0], 0.0), ([1.0], [2.0], -0.1), ([1.0], [math.inf], 0.0)],
)
def test_summary_rejects_bad_input(
    baseline: list[float], endline: list[float], tolerance: float
) -> None:
    with pytest.raises(ValueError):
        summarise_changes(baseline, endline, tolerance)


@settings(max_examples=60, deadline=None, database=None)
@given(
    st.lists(
        st.tuples(st.one_of(st.none(), st.floats(0, 100)), st.one_of(st.none(), st.floats(0, 100))),
        max_size=30,
    ),
    st.floats(0, 5),
)
def test_summary_counts_are_consistent(
    pairs: list[tuple[float | None, float | None]], tolerance: float
) -> None:
    s = summarise_changes([p[0] for p in pairs], [p[1] for p in pairs], tolerance)
    assert s.n + s.n_missing == len(pairs)
    assert s.n_improved + s.n_unchanged + s.n_declined == s.n
    if s.n:
        assert s.pct_improved + s.pct_unchanged + s.pct_declined == pytest.approx(100.0)


# ---------------------------------------------------------------------------------------------
# standardised_difference


def test_standardised_difference_by_hand() -> None:
    # Means 20 and 22; sample variances ((−2)² + 0 + 2²) / 2 = 4 and (4² + 0 + 4²) / 2 = 16:
    # pooled SD √((4 + 16) / 2) = √10, difference −2 / √10 = −0.6325. A missing value is
    # dropped.
    smd = standardised_difference([18.0, 20.0, 22.0, None], [18.0, 22.0, 26.0])
    assert smd == pytest.approx(-2 / math.sqrt(10))
    assert standardised_difference([18.0, 20.0, 22.0], [18.0, 22.0, 26.0]) == pytest.approx(smd)


def test_standardised_difference_edges() -> None:
    assert math.isnan(standardised_difference([10.0], [1.0, 2.0]))  # one value: no SD
    assert standardised_difference([5.0, 5.0], [3.0, 3.0]) == math.inf
    assert standardised_difference([3.0, 3.0], [5.0, 5.0]) == -math.inf
    # 0.1 + 0.2 is 0.30000000000000004: equal up to rounding, not an infinite difference.
    assert standardised_difference([0.3, 0.3], [0.1 + 0.2, 0.1 + 0.2]) == 0.0
