"""The report's summary and uninsured-share section on a CBHI run worked by hand: one
definition of the decline (positive = fewer uninsured), corrected coverage first with RSSB's
reported figure beside it, and a regression-to-the-mean caution that is true of each effect."""

from __future__ import annotations

import pandas as pd
import pytest

from tpn_metrics.evaluation.datasets import Dataset
from tpn_metrics.evaluation.headline import headline_text, headlines
from tpn_metrics.evaluation.paper import paper_rows
from tpn_metrics.evaluation.runner import evaluate
from tpn_metrics.reports.evaluation_summary import (
    paper_blocks,
    result_lines,
    summary_blocks,
    uninsured_blocks,
    worse_start,
)

IDS = ["a", "c", "g", "b", "e", "h"]
NAMES = ["Gasabo", "Rusizi", "Huye", "Nyanza", "Musanze", "Rubavu"]
FOCUS = [True, True, True, False, False, False]
# Reported coverage (% of target). Focus uninsured 20, 30, 40 → 10, 15, 20: means 30 → 15,
# decline (30 − 15) / 30 = +50.0 %. Comparison 40, 10, 20 → 30, 5, 18: means 70/3 → 53/3,
# decline 17/70 = +24.3 %. Difference 50 − 24.29 = +25.7 percentage points.
REPORTED = ([80.0, 70.0, 60.0, 60.0, 90.0, 80.0], [90.0, 85.0, 80.0, 70.0, 95.0, 82.0])
# Corrected: baseline 5 and endline 3 points lower. Coverage change: focus 12, 17, 22 → +17.0
# pp, comparison 12, 7, 4 → +7.7 pp (reported: +15.0 and +5.7). Uninsured focus 25, 35, 45 →
# 13, 18, 23: 35 → 18, decline 17/35 = +48.6 %; comparison 45, 15, 25 → 33, 8, 21: 85/3 →
# 62/3, decline 23/85 = +27.1 %; difference +21.5 percentage points.
CORRECTED = ([b - 5 for b in REPORTED[0]], [e - 3 for e in REPORTED[1]])


def cbhi(coverage: str, values: tuple[list[float], list[float]]) -> Dataset:
    frame = pd.DataFrame(
        {
            "institution_id": IDS,
            "institution_name": NAMES,
            "is_focus": FOCUS,
            "baseline": values[0],
            "endline": values[1],
        }
    )
    return Dataset(
        "cbhi_enrollment",
        f"cbhi_coverage_{coverage}_pct",
        "% of target population",
        "2021-03-26",
        "2023-03-24",
        frame,
        coverage=coverage,
    )


@pytest.fixture(scope="module")
def run():  # type: ignore[no-untyped-def]
    return evaluate(
        [
            ("cbhi_coverage_reported", cbhi("reported", REPORTED)),
            ("cbhi_coverage_corrected", cbhi("corrected", CORRECTED)),
        ],
        n_resamples=200,
    )


def texts(blocks) -> str:  # type: ignore[no-untyped-def]
    return "\n".join(b.text + "\n".join(b.lines) for b in blocks)


def test_the_uninsured_decline_is_positive_when_the_share_falls_by_hand(run):
    reported = next(h for h in headlines(run) if h.comparison_id.endswith("decline_reported"))
    assert reported.title == "Decline of the uninsured share, reported coverage"
    assert reported.focus == "+50.0 % of the baseline uninsured share (n = 3)"
    assert reported.comparison == "+24.3 % of the baseline uninsured share (n = 3)"
    assert reported.estimate == pytest.approx(50.0 - 17 / 70 * 100)
    line = headline_text(reported)
    assert "effect +25.7 percentage points (focus decline minus the others'" in line
    corrected = next(h for h in headlines(run) if h.comparison_id.endswith("decline_corrected"))
    assert corrected.focus.startswith("+48.6 % ")
    assert corrected.comparison.startswith("+27.1 % ")
    assert corrected.estimate == pytest.approx(17 / 35 * 100 - 23 / 85 * 100)


def test_the_uninsured_section_says_decline_with_one_sign_and_plain_units(run):
    text = texts(uninsured_blocks(run))
    assert "(ū0 − ū1) / ū0" in text and "(ū1 − ū0)" not in text
    assert (
        "Reported coverage: the focus districts' uninsured share declined by +50.0 % of its "
        "baseline, the others' by +24.3 %: a difference of +25.7 percentage points"
    ) in text
    assert "| decline (% of baseline uninsured share) |" in text
    assert "| reported | focus | 3 | 0 | 30.0 | 15.0 | +50.0 |" in text
    assert "| reported | comparison | 3 | 0 | 23.3 | 17.7 | +24.3 |" in text
    assert "−50.0" not in text and "−24.3" not in text
    assert "| Gasabo | focus | 20.0 → 10.0 | +50.0 |" in text  # (20 − 10) / 20
    assert "percentage points of the baseline share" not in text


def test_the_paper_row_uses_the_same_definition(run):
    (row,) = [r for r in paper_rows(run) if "Uninsured" in r.measure]
    assert row.measure == "Uninsured share, relative decline of the group mean (reported)"
    assert row.unit == "% of baseline uninsured share"
    assert (row.paper_focus, row.paper_comparison) == (35.0, 22.0)
    assert row.ours_focus == pytest.approx(50.0)
    assert "| +35.0 | +22.0 | +50.0 | +24.3 |" in texts(paper_blocks(run))


def test_the_summary_leads_with_corrected_coverage_and_gives_reported_beside_it(run):
    lines = result_lines(headlines(run))
    assert len(lines) == 2
    coverage, uninsured = lines
    assert coverage.startswith(
        "CBHI coverage, corrected with census projections: focus +17.0 pp (n = 3), "
        "others +7.7 pp (n = 3). Estimated effect"
    )
    assert "As reported by RSSB: focus +15.0 pp (n = 3), others +5.7 pp (n = 3); effect" in (
        coverage
    )
    assert uninsured.startswith(
        "Decline of the uninsured share, corrected coverage: focus +48.6 % of the baseline "
        "uninsured share (n = 3), others +27.1 %"
    )
    assert "As reported by RSSB: focus +50.0 % of the baseline uninsured share" in uninsured
    summary = texts(summary_blocks(run, headlines(run)))
    assert summary.index("corrected with census projections: focus") < summary.index(
        "As reported by RSSB: focus"
    )


def test_the_regression_to_the_mean_caution_does_not_call_the_uninsured_decline_adjusted(run):
    summary = texts(summary_blocks(run, headlines(run)))
    caution = next(x for x in summary.splitlines() if x.startswith("Regression to the mean"))
    assert "The effects above are baseline-adjusted" not in caution
    assert "baseline-adjusted (ANCOVA)" in caution
    assert "the decline of the uninsured share is not" in caution


def service(title: str, focus: list[float], others: list[float], **options) -> Dataset:  # type: ignore[no-untyped-def]
    baseline = focus + others
    frame = pd.DataFrame(
        {
            "institution_id": [f"i{n}" for n in range(len(baseline))],
            "institution_name": [f"I{n}" for n in range(len(baseline))],
            "is_focus": [True] * len(focus) + [False] * len(others),
            "baseline": baseline,
            "endline": [b + 5.0 for b in baseline],
        }
    )
    return Dataset("t", title, "%", "2021-03", "2023-03", frame, title=title, **options)


# Focus 70, 80, 90 (mean 80, SD 10) against: 70, 80, 90.12 (mean 80.04: 0.04 lower, reads
# 0.0), 70, 80, 91.5 (mean 80.5: 0.5 lower but a standardised difference of about 0.05, below
# 0.1); ANC 60, 70, 80 against 70, 80, 90 (10 pp lower, standardised −1.0); asphyxia, lower is
# better, 30, 25, 35 against 20, 25, 15 per 1,000 live births (10 higher, standardised 2.0).
TIED = service("SAM cure rate, hospitals", [70.0, 80.0, 90.0], [70.0, 80.0, 90.12])
SMALL = service("Postpartum FP uptake, hospitals", [70.0, 80.0, 90.0], [70.0, 80.0, 91.5])
ANC = service("ANC first visit, districts", [60.0, 70.0, 80.0], [70.0, 80.0, 90.0])
ASPHYXIA = service(
    "Birth asphyxia, hospitals",
    [30.0, 25.0, 35.0],
    [20.0, 25.0, 15.0],
    difference_unit="per 1,000 live births",
    higher_is_better=False,
)


def caution(datasets: list[tuple[str, Dataset]]) -> str:
    run = evaluate(datasets, n_resamples=50)
    summary = texts(summary_blocks(run, headlines(run)))
    return next(x for x in summary.splitlines() if x.startswith("Regression to the mean"))


def test_the_caution_names_only_meaningfully_lower_starters_in_their_unit():
    line = caution([("sam", TIED), ("fp", SMALL), ("anc", ANC)])
    assert line.startswith(
        "Regression to the mean: the focus groups started lower (ANC first visit, districts "
        "by 10.0 pp), and low starters tend to gain more anyway."
    )
    assert "SAM cure rate" not in line and "Postpartum FP" not in line
    assert "points" not in line and "by 0.0" not in line


def test_the_caution_says_worse_and_higher_where_lower_is_better():
    line = caution([("sam", TIED), ("anc", ANC), ("asphyxia", ASPHYXIA)])
    assert line.startswith(
        "Regression to the mean: the focus groups started worse (ANC first visit, districts: "
        "lower by 10.0 pp; Birth asphyxia, hospitals: higher by 10.0 per 1,000 live births), "
        "and poor starters tend to gain more anyway."
    )


def test_no_meaningful_worse_start_gives_the_general_caution():
    line = caution([("sam", TIED), ("fp", SMALL)])
    assert line == (
        "Regression to the mean: low starters tend to gain more anyway. The effects above are "
        "baseline-adjusted (ANCOVA) to allow for this."
    )


def test_worse_start_by_hand():
    assert worse_start(ANC) == pytest.approx(-10.0)
    assert worse_start(ASPHYXIA) == pytest.approx(10.0)
    assert worse_start(TIED) is None and worse_start(SMALL) is None
    # Better starters are not worse starters: ANC the other way round.
    assert worse_start(service("x", [70.0, 80.0, 90.0], [60.0, 70.0, 80.0])) is None
    # A focus group of one has no SD: a difference that shows at one decimal is named, one
    # that reads 0.0 is not. An institution without an endline is left out, as in the tests.
    assert worse_start(service("x", [50.0], [60.0, 70.0])) == pytest.approx(-15.0)
    assert worse_start(service("x", [64.97], [65.0, 65.0])) is None
    lone = service("x", [50.0, 10.0], [60.0, 70.0])
    lone.frame.loc[1, "endline"] = float("nan")
    assert worse_start(lone) == pytest.approx(-15.0)
