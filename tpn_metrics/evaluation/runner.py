"""Run the standard comparisons and keep their results as warehouse tables.

Tables (schema ``evaluation``, rebuilt whole on every run so a re-run is idempotent):
``eval_group_summaries`` (comparison × group), ``eval_tests`` (comparison × method),
``eval_institution_changes`` (comparison × institution) and ``eval_warnings``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import duckdb
import pandas as pd

from tpn_metrics.evaluation.compare import Comparison, compare_groups, comparison_rows, test_rows
from tpn_metrics.evaluation.datasets import (
    Dataset,
    accreditation_dataset,
    cbhi_dataset,
    uninsured_decline,
)
from tpn_metrics.evaluation.stats import difference_in_differences
from tpn_metrics.warehouse import registered, transaction


@dataclass(frozen=True)
class EvaluationRun:
    comparisons: tuple[tuple[str, Dataset, Comparison], ...]
    groups: pd.DataFrame
    tests: pd.DataFrame
    institutions: pd.DataFrame
    warnings: pd.DataFrame


TOPICS_WITH_METRICS = ("accreditation", "cbhi_enrollment")


def standard_datasets(
    con: duckdb.DuckDBPyConnection,
    *,
    accreditation_years: tuple[int, int] = (2021, 2023),
    cbhi_dates: tuple[dt.date, dt.date] = (dt.date(2021, 3, 23), dt.date(2023, 3, 23)),
    topics: tuple[str, ...] = TOPICS_WITH_METRICS,
) -> list[tuple[str, Dataset]]:
    """The paper's comparisons plus the corrected-coverage sensitivity analysis."""
    unknown = [t for t in topics if t not in TOPICS_WITH_METRICS]
    if unknown:
        raise ValueError(
            f"no metric in the warehouse for topic {', '.join(unknown)}: "
            f"evaluable topics are {', '.join(TOPICS_WITH_METRICS)}"
        )
    datasets: list[tuple[str, Dataset]] = []
    if "accreditation" in topics:
        datasets.append(
            (
                "accreditation_level_2",
                accreditation_dataset(
                    con, baseline_year=accreditation_years[0], endline_year=accreditation_years[1]
                ),
            )
        )
    if "cbhi_enrollment" in topics:
        reported = cbhi_dataset(con, baseline=cbhi_dates[0], endline=cbhi_dates[1])
        corrected = cbhi_dataset(
            con, baseline=cbhi_dates[0], endline=cbhi_dates[1], coverage="corrected"
        )
        uninsured = Dataset(
            topic=reported.topic,
            metric="uninsured_share_relative_decline_pct",
            unit="% of the baseline uninsured share",
            baseline_label=reported.baseline_label,
            endline_label=reported.endline_label,
            frame=uninsured_decline(reported.frame),
        )
        datasets += [
            ("cbhi_coverage_reported", reported),
            ("cbhi_coverage_corrected", corrected),
            ("cbhi_uninsured_decline", uninsured),
        ]
    return datasets


def evaluate(
    datasets: list[tuple[str, Dataset]], *, n_resamples: int = 10_000, seed: int = 20240
) -> EvaluationRun:
    comparisons = []
    groups, tests, institutions, warnings = [], [], [], []
    for comparison_id, dataset in datasets:
        comparison = compare_groups(
            dataset.frame,
            topic=dataset.topic,
            metric=dataset.metric,
            baseline_label=dataset.baseline_label,
            endline_label=dataset.endline_label,
            n_resamples=n_resamples,
            seed=seed,
        )
        comparisons.append((comparison_id, dataset, comparison))
        for row in comparison_rows(comparison):
            groups.append({"comparison_id": comparison_id, "unit": dataset.unit, **row})
        for row in test_rows(comparison):
            tests.append({"comparison_id": comparison_id, **row})
        if dataset.panel is not None:
            tests.append({"comparison_id": comparison_id, **did_row(comparison, dataset.panel)})
        frame = dataset.frame.assign(
            comparison_id=comparison_id, change=dataset.frame["endline"] - dataset.frame["baseline"]
        )
        institutions.append(frame)
        for message in comparison.warnings:
            warnings.append({"comparison_id": comparison_id, "warning": message})
    return EvaluationRun(
        comparisons=tuple(comparisons),
        groups=pd.DataFrame(groups),
        tests=pd.DataFrame(tests),
        institutions=pd.concat(institutions, ignore_index=True)[
            ["comparison_id", "institution_id", "is_focus", "baseline", "endline", "change"]
        ],
        warnings=pd.DataFrame(warnings, columns=["comparison_id", "warning"]),
    )


def did_row(comparison: Comparison, panel: pd.DataFrame) -> dict[str, object]:
    """The weekly-panel difference-in-differences as one more row of eval_tests."""
    estimate = difference_in_differences(panel)
    return {
        "topic": comparison.topic,
        "metric": comparison.metric,
        "baseline_label": comparison.baseline_label,
        "endline_label": comparison.endline_label,
        "method": "did_weekly_panel",
        "estimate_pp": estimate.estimate_pp,
        "statistic": estimate.statistic,
        "p_value": estimate.p_value,
        "df": estimate.df,
        "ci_low_pp": estimate.ci_low_pp,
        "ci_high_pp": estimate.ci_high_pp,
        "alternative": estimate.alternative,
        "n_focus": estimate.n_focus_units,
        "n_comparison": estimate.n_comparison_units,
        "note": f"13-week means before/after; {estimate.se_type}; {estimate.note}".rstrip("; "),
    }


def write_tables(con: duckdb.DuckDBPyConnection, run: EvaluationRun) -> dict[str, int]:
    """Replace the evaluation tables in one transaction; return row counts."""
    counts = {}
    con.execute("create schema if not exists evaluation")
    with transaction(con):
        for name, frame in (
            ("eval_group_summaries", run.groups),
            ("eval_tests", run.tests),
            ("eval_institution_changes", run.institutions),
            ("eval_warnings", run.warnings),
        ):
            with registered(con, "eval_frame", frame):
                con.execute(
                    f"create or replace table evaluation.{name} as select * from eval_frame"
                )
            counts[f"evaluation.{name}"] = len(frame)
    return counts
