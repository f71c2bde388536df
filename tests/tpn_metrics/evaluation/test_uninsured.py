"""The uninsured-share decline as the paper computes it, against values worked by hand."""

from __future__ import annotations

import itertools
import math

import pandas as pd
import pytest

from tpn_metrics.evaluation.uninsured import district_declines, uninsured_decline

# Coverage (% of target population). Focus: a, c. Comparison: b, e, and d / f whose reported
# coverage passes 100 % (at both dates, at the endline only).
FRAME = pd.DataFrame(
    {
        "institution_id": ["a", "b", "c", "d", "e", "f"],
        "institution_name": ["Gasabo", "Nyanza", "Rusizi", "Kicukiro", "Huye", "Bugesera"],
        "is_focus": [True, False, True, False, False, False],
        "baseline": [80.0, 60.0, 70.0, 104.0, 90.0, 95.0],
        "endline": [90.0, 70.0, 85.0, 110.0, 95.0, 101.0],
    }
)


def decline(frame: pd.DataFrame = FRAME, n_resamples: int = 2_000):  # type: ignore[no-untyped-def]
    return uninsured_decline(
        frame, "reported", baseline_label="2021", endline_label="2023", n_resamples=n_resamples
    )


def test_group_decline_is_taken_on_the_group_means_by_hand():
    result = decline()
    # Focus: uninsured 20 and 30 → 10 and 15; means 25 → 12.5; (25 − 12.5) / 25 = 50 %.
    assert result.focus.n == 2
    assert result.focus.uninsured_baseline_pct == pytest.approx(25.0)
    assert result.focus.uninsured_endline_pct == pytest.approx(12.5)
    assert result.focus.decline_pct == pytest.approx(50.0)
    # Comparison (b, e): 40 and 10 → 30 and 5; means 25 → 17.5; 30 %. The mean of the
    # districts' own declines would be (25 + 50) / 2 = 37.5 %: not what the paper computes.
    assert result.comparison.n == 2
    assert result.comparison.n_excluded == 2
    assert result.comparison.decline_pct == pytest.approx(30.0)
    assert result.difference_pp == pytest.approx(20.0)


def test_coverage_above_100_is_excluded_with_the_true_reason_and_named():
    districts = district_declines(FRAME, "reported").set_index("institution_id")
    assert districts.loc["d", "excluded_reason"] == (
        "reported coverage above 100 % (baseline 104.0 %, endline 110.0 %): "
        "uninsured share undefined"
    )
    assert districts.loc["f", "excluded_reason"] == (
        "reported coverage above 100 % (endline 101.0 %): uninsured share undefined"
    )
    assert "endline value" not in str(districts["excluded_reason"].tolist())
    assert districts.loc["f", "institution_name"] == "Bugesera"
    # Per district, where defined: a 20 → 10 is 50 %, b 40 → 30 is 25 %.
    assert districts.loc["a", "decline_pct"] == pytest.approx(50.0)
    assert districts.loc["b", "decline_pct"] == pytest.approx(25.0)
    assert math.isnan(districts.loc["d", "decline_pct"])


def test_missing_values_are_excluded_with_their_own_reason():
    frame = FRAME.assign(endline=[90.0, None, 85.0, 110.0, 95.0, 101.0])
    districts = district_declines(frame, "corrected").set_index("institution_id")
    assert districts.loc["b", "excluded_reason"] == "no corrected coverage at endline"


def test_the_same_district_is_kept_on_corrected_coverage():
    corrected = FRAME.assign(baseline=[80.0, 60.0, 70.0, 84.0, 90.0, 85.0])
    corrected = corrected.assign(endline=[90.0, 70.0, 85.0, 88.0, 95.0, 90.0])
    result = uninsured_decline(
        corrected, "corrected", baseline_label="2021", endline_label="2023", n_resamples=200
    )
    assert result.comparison.n == 4 and result.comparison.n_excluded == 0
    # b, d, e, f: uninsured 40, 16, 10, 15 → 30, 12, 5, 10; means 20.25 → 14.25.
    assert result.comparison.decline_pct == pytest.approx((20.25 - 14.25) / 20.25 * 100)


def test_permutation_p_value_enumerates_every_relabelling():
    """Four usable districts, two per group: C(4, 2) = 6 relabellings, all enumerated."""
    result = decline()
    shares = {"a": (20.0, 10.0), "c": (30.0, 15.0), "b": (40.0, 30.0), "e": (10.0, 5.0)}

    def group(ids: tuple[str, ...]) -> float:
        u0 = sum(shares[i][0] for i in ids) / len(ids)
        u1 = sum(shares[i][1] for i in ids) / len(ids)
        return (u0 - u1) / u0 * 100

    stats = []
    for focus in itertools.combinations(shares, 2):
        others = tuple(i for i in shares if i not in focus)
        stats.append(group(focus) - group(others))
    expected = sum(s >= 20.0 - 1e-9 for s in stats) / len(stats)
    assert result.p_value == pytest.approx(expected)


def test_bootstrap_interval_brackets_the_estimate_and_is_reproducible():
    first, second = decline(), decline()
    assert first.ci_low_pp <= first.difference_pp <= first.ci_high_pp
    assert (first.ci_low_pp, first.ci_high_pp) == (second.ci_low_pp, second.ci_high_pp)


def test_too_few_districts_give_no_interval_rather_than_a_false_one():
    result = decline(FRAME[FRAME["institution_id"].isin(["a", "c", "b"])])
    assert result.comparison.n == 1
    assert math.isnan(result.ci_low_pp) and math.isnan(result.p_value)
    assert result.difference_pp == pytest.approx(50.0 - 25.0)
