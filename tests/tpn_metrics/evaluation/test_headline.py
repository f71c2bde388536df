"""Headlines: the estimator the report recommends, in words, with units."""

from __future__ import annotations

import pandas as pd

from tpn_metrics.evaluation.datasets import Dataset
from tpn_metrics.evaluation.headline import headline_text, headlines
from tpn_metrics.evaluation.runner import evaluate


def dataset(n_per_group: int) -> Dataset:
    rows = []
    for i in range(n_per_group):
        rows.append((f"f{i}", f"Focus {i}", True, 50.0 + 3 * i, 60.0 + 2 * i + (i % 2)))
        rows.append((f"c{i}", f"Other {i}", False, 60.0 + 2 * i, 62.0 + 2 * i - (i % 3)))
    frame = pd.DataFrame(
        rows, columns=["institution_id", "institution_name", "is_focus", "baseline", "endline"]
    )
    return Dataset(
        "accreditation", "level_2_score_pct", "% of standards met", "2021", "2023", frame
    )


def test_the_recommended_estimator_is_ancova_with_its_interval():
    run = evaluate([("accreditation_level_2", dataset(6))], n_resamples=200)
    (headline,) = headlines(run)
    ancova = run.tests.set_index("method").loc["ancova"]
    assert headline.method == "baseline-adjusted (ANCOVA)"
    assert headline.estimate == ancova["estimate_pp"]
    assert (headline.ci_low, headline.ci_high) == (ancova["ci_low_pp"], ancova["ci_high_pp"])
    text = headline_text(headline)
    assert text.startswith("Hospital accreditation, level-2 score (2021 → 2023): focus +")
    assert "percentage points, 95% interval" in text
    assert "(one-sided) — baseline-adjusted (ANCOVA)" in text


def test_without_ancova_the_headline_falls_back_to_welch_and_says_so():
    # One institution per group: ANCOVA needs 4 with both values, so it is not computable.
    run = evaluate([("accreditation_level_2", dataset(1))], n_resamples=50)
    (headline,) = headlines(run)
    assert headline.method == "Welch's t-test (unequal variances)"
    assert "p not computable" in headline_text(headline)


def test_the_corrected_result_comes_before_its_reported_twin():
    from dataclasses import replace

    from tpn_metrics.evaluation.headline import Headline, corrected_first

    base = Headline(
        comparison_id="x",
        title="t",
        periods="p",
        focus="f",
        comparison="c",
        method="m",
        estimate=1.0,
        ci_low=float("nan"),
        ci_high=float("nan"),
        p_value=0.5,
        unit="pp",
        n_focus=8,
        n_comparison=22,
    )
    ids = [
        "accreditation_level_2",
        "cbhi_coverage_reported",
        "cbhi_uninsured_decline_reported",
        "cbhi_coverage_corrected",
        "cbhi_uninsured_decline_corrected",
    ]
    heads = [replace(base, comparison_id=i) for i in ids]
    assert [h.comparison_id for h in corrected_first(heads)] == [
        "accreditation_level_2",
        "cbhi_coverage_corrected",
        "cbhi_coverage_reported",
        "cbhi_uninsured_decline_corrected",
        "cbhi_uninsured_decline_reported",
    ]
