"""Run the standard comparisons and keep their results as warehouse tables.

Tables (schema ``evaluation``, rebuilt whole on every run so a re-run is idempotent):
``eval_group_summaries`` (comparison × group), ``eval_tests`` (comparison × method),
``eval_institution_changes`` (comparison × institution), ``eval_warnings``, and for the
uninsured-share decline ``eval_uninsured_groups`` (coverage measure × group) and
``eval_uninsured_districts`` (coverage measure × district, with the reason for an exclusion).

Periods are checked (:mod:`tpn_metrics.evaluation.periods`) and every comparison computed
before anything is written: a refused period raises :class:`PeriodError` and leaves the last
good tables as they were.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import pandas as pd

from tpn_metrics.declared_tables import declared_table, insert_frame, replace_table
from tpn_metrics.evaluation.compare import Comparison, comparison_rows, test_rows
from tpn_metrics.evaluation.datasets import Dataset, accreditation_dataset, cbhi_dataset
from tpn_metrics.evaluation.direction import compare_oriented, did_oriented
from tpn_metrics.evaluation.periods import (
    PeriodError,
    PeriodRules,
    accreditation_years,
    cbhi_report_dates,
)
from tpn_metrics.evaluation.service_topics import service_datasets
from tpn_metrics.evaluation.uninsured import UninsuredDecline, uninsured_decline
from tpn_metrics.twinning.topics import TopicMetric, load_topic_metrics
from tpn_metrics.warehouse import transaction


@dataclass(frozen=True)
class EvaluationRun:
    """Everything one evaluation computed, as the eval_* tables' frames plus the comparisons."""

    comparisons: tuple[tuple[str, Dataset, Comparison], ...]
    groups: pd.DataFrame
    tests: pd.DataFrame
    institutions: pd.DataFrame
    warnings: pd.DataFrame
    uninsured: tuple[UninsuredDecline, ...] = ()
    # (topic, reason): topics the warehouse cannot evaluate yet on the default periods
    skipped: tuple[tuple[str, str], ...] = ()


#: Topics with the paper's own comparisons (accreditation surveys, RSSB weekly reports).
PAPER_TOPICS = ("accreditation", "cbhi_enrollment")
SCHEMA = "evaluation"
ONE_TOPIC = (
    "--from/--to need one --topic (years for accreditation, dates for CBHI, months for DHIS2 "
    "topics)"
)


def evaluable_topics(metrics: tuple[TopicMetric, ...] | None = None) -> tuple[str, ...]:
    """The topics ``tpn evaluate`` knows how to compare, in topics.yaml order (default: the
    package's file): the paper's two, and every topic with a ``service_indicator`` metric
    (DHIS2). Whether the warehouse holds their data is checked per run."""
    metrics = load_topic_metrics() if metrics is None else metrics
    return tuple(
        dict.fromkeys(m.topic for m in metrics if m.topic in PAPER_TOPICS or m.service_indicator)
    )


def topic_datasets(
    con: duckdb.DuckDBPyConnection,
    topic: str,
    *,
    start: str | None = None,
    end: str | None = None,
    rules: PeriodRules,
    metrics: tuple[TopicMetric, ...] | None = None,
) -> tuple[list[tuple[str, Dataset]], list[tuple[str, str]]]:
    """The comparisons of one topic and those left out, ``(id, reason)``. ``start``/``end``
    (period text, see :mod:`periods`) override the default periods (the paper's; for service
    topics the launch month and 24 months later). Raises :class:`PeriodError` for a period
    the warehouse cannot answer, ``ValueError`` for a topic that cannot be evaluated."""
    metrics = load_topic_metrics() if metrics is None else metrics
    if topic not in evaluable_topics(metrics):
        raise ValueError(
            f"no metric in the warehouse for topic {topic}: "
            f"evaluable topics are {', '.join(evaluable_topics(metrics))}"
        )
    datasets: list[tuple[str, Dataset]] = []
    if topic == "accreditation":
        baseline_year, endline_year = accreditation_years(con, start, end)
        datasets.append(
            (
                "accreditation_level_2",
                accreditation_dataset(con, baseline_year=baseline_year, endline_year=endline_year),
            )
        )
    elif topic == "cbhi_enrollment":
        (baseline, endline), _reports = cbhi_report_dates(con, start, end, rules=rules)
        for coverage in ("reported", "corrected"):
            datasets.append(
                (
                    f"cbhi_coverage_{coverage}",
                    cbhi_dataset(con, baseline=baseline, endline=endline, coverage=coverage),
                )
            )
    else:
        service = tuple(m for m in metrics if m.topic == topic and m.service_indicator)
        return service_datasets(con, service, start, end, rules=rules)
    return datasets, []


def standard_datasets(
    con: duckdb.DuckDBPyConnection,
    *,
    topics: tuple[str, ...] | None = None,
    start: str | None = None,
    end: str | None = None,
    rules: PeriodRules,
) -> list[tuple[str, Dataset]]:
    """The comparisons of ``topics`` (default: the paper's two, with the corrected-coverage
    sensitivity analysis; any topic of :func:`evaluable_topics` may be named, such as the
    DHIS2 service topics).

    ``start``/``end`` (period text, see :mod:`periods`) override the default baseline and
    endline of the one topic in ``topics``. Raises :class:`PeriodError` for a period the
    warehouse cannot answer, ``ValueError`` for an unknown topic.
    """
    topics = PAPER_TOPICS if topics is None else topics
    if (start or end) and len(topics) != 1:
        raise PeriodError(ONE_TOPIC)
    datasets: list[tuple[str, Dataset]] = []
    for topic in topics:
        datasets += topic_datasets(con, topic, start=start, end=end, rules=rules)[0]
    return datasets


def check_groups(datasets: list[tuple[str, Dataset]]) -> None:
    """Raise :class:`PeriodError` when a group has no institution with both values: an empty
    comparison must not replace the last good report."""
    for comparison_id, dataset in datasets:
        frame = dataset.frame
        complete = frame["baseline"].notna() & frame["endline"].notna()
        for group, members in (("focus", frame["is_focus"]), ("comparison", ~frame["is_focus"])):
            if not (complete & members.astype(bool)).any():
                raise PeriodError(
                    f"no {group} institution has both a {dataset.baseline_label} and a "
                    f"{dataset.endline_label} value for {comparison_id}: nothing to compare"
                )


def evaluable_datasets(
    con: duckdb.DuckDBPyConnection,
    *,
    topics: tuple[str, ...] | None = None,
    start: str | None = None,
    end: str | None = None,
    rules: PeriodRules,
) -> tuple[list[tuple[str, Dataset]], tuple[tuple[str, str], ...]]:
    """The datasets to evaluate and what was skipped, ``(topic or comparison id, reason)``.

    ``topics`` defaults to :func:`evaluable_topics`. With periods given, every check of the
    topic must pass (:class:`PeriodError` otherwise; a service metric or level without
    measured institutions in both groups is skipped and named). On the default periods, a
    topic the warehouse cannot evaluate yet (a survey, a report or DHIS2 data not loaded) is
    skipped and named, so the scheduled runs still evaluate the others; PeriodError only when
    no topic can be evaluated.
    """
    topics = evaluable_topics() if topics is None else topics
    if start or end:
        if len(topics) != 1:
            raise PeriodError(ONE_TOPIC)
        datasets, left_out = topic_datasets(con, topics[0], rules=rules, start=start, end=end)
        check_groups(datasets)
        return datasets, tuple(left_out)
    datasets, skipped = [], []
    for topic in topics:
        try:
            found, left_out = topic_datasets(con, topic, rules=rules)
            check_groups(found)
        except PeriodError as error:
            skipped.append((topic, str(error)))
            continue
        datasets += found
        skipped += left_out
    if not datasets:
        raise PeriodError(
            "nothing to evaluate: " + "; ".join(f"{t}: {reason}" for t, reason in skipped)
        )
    return datasets, tuple(skipped)


def evaluate(
    datasets: list[tuple[str, Dataset]],
    *,
    n_resamples: int = 10_000,
    seed: int = 20240,
    skipped: tuple[tuple[str, str], ...] = (),
) -> EvaluationRun:
    """Run every comparison (and the uninsured-share decline of each CBHI coverage measure).
    ``skipped`` (topics left out, with the reason) is kept in the warnings."""
    comparisons = []
    groups, tests, institutions, warnings = [], [], [], []
    uninsured: list[UninsuredDecline] = []
    for comparison_id, dataset in datasets:
        comparison = compare_oriented(
            dataset.frame,
            higher_is_better=dataset.higher_is_better,
            topic=dataset.topic,
            metric=dataset.metric,
            baseline_label=dataset.baseline_label,
            endline_label=dataset.endline_label,
            n_resamples=n_resamples,
            seed=seed,
            unit=dataset.difference_unit,
        )
        comparisons.append((comparison_id, dataset, comparison))
        if dataset.coverage in ("reported", "corrected"):
            decline = uninsured_decline(
                dataset.frame,
                "reported" if dataset.coverage == "reported" else "corrected",
                baseline_label=dataset.baseline_label,
                endline_label=dataset.endline_label,
                n_resamples=n_resamples,
                seed=seed,
            )
            uninsured.append(decline)
            tests.append(uninsured_test_row(decline))
            for row in decline.excluded.itertuples():
                warnings.append(
                    {
                        "comparison_id": uninsured_id(decline),
                        "warning": f"{row.institution_name} excluded: {row.excluded_reason}",
                    }
                )
        for row in comparison_rows(comparison):
            groups.append({"comparison_id": comparison_id, "unit": dataset.unit, **row})
        for row in test_rows(comparison):
            tests.append({"comparison_id": comparison_id, **row})
        if dataset.panel is not None:
            tests.append({"comparison_id": comparison_id, **did_row(comparison, dataset)})
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
            [
                "comparison_id",
                "institution_id",
                "institution_name",
                "is_focus",
                "baseline",
                "endline",
                "change",
            ]
        ],
        warnings=pd.DataFrame(
            [
                *({"comparison_id": t, "warning": f"not evaluated: {r}"} for t, r in skipped),
                *warnings,
            ],
            columns=["comparison_id", "warning"],
        ),
        uninsured=tuple(uninsured),
        skipped=skipped,
    )


def uninsured_id(decline: UninsuredDecline) -> str:
    """The comparison id of an uninsured-share decline: ``cbhi_uninsured_decline_<coverage>``."""
    return f"cbhi_uninsured_decline_{decline.coverage}"


UNINSURED_METHOD = "group_relative_decline"


def uninsured_test_row(decline: UninsuredDecline) -> dict[str, object]:
    """The group-level decline difference as a row of eval_tests: focus decline minus the
    others', each (ū0 − ū1)/ū0 in % of the baseline uninsured share (positive = fewer
    uninsured), so the difference is in percentage points."""
    return {
        "comparison_id": uninsured_id(decline),
        "topic": "cbhi_enrollment",
        "metric": f"uninsured_share_{decline.coverage}_relative_decline_pct",
        "baseline_label": decline.baseline_label,
        "endline_label": decline.endline_label,
        "method": UNINSURED_METHOD,
        "estimate_pp": decline.difference_pp,
        "statistic": decline.difference_pp,
        "p_value": decline.p_value,
        "df": float("nan"),
        "ci_low_pp": decline.ci_low_pp,
        "ci_high_pp": decline.ci_high_pp,
        "alternative": "greater",
        "n_focus": decline.focus.n,
        "n_comparison": decline.comparison.n,
        "note": (
            "relative decline (ū0 − ū1)/ū0 of group means (% of the baseline uninsured share, "
            "positive = fewer uninsured), focus − comparison in percentage points; "
            f"percentile bootstrap and permutation, {decline.n_resamples} "
            f"resamples, seed {decline.seed}"
        ),
    }


def uninsured_tables(run: EvaluationRun) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``eval_uninsured_groups`` and ``eval_uninsured_districts`` as frames."""
    groups = [
        {
            "comparison_id": uninsured_id(d),
            "coverage": d.coverage,
            "baseline_label": d.baseline_label,
            "endline_label": d.endline_label,
            "group": name,
            "n": g.n,
            "n_excluded": g.n_excluded,
            "uninsured_baseline_pct": g.uninsured_baseline_pct,
            "uninsured_endline_pct": g.uninsured_endline_pct,
            "decline_pct_of_baseline": g.decline_pct,
        }
        for d in run.uninsured
        for name, g in (("focus", d.focus), ("comparison", d.comparison))
    ]
    districts = [
        d.districts.assign(comparison_id=uninsured_id(d), coverage=d.coverage)
        for d in run.uninsured
    ]
    group_columns = declared_table(SCHEMA, "eval_uninsured_groups").column_names
    district_columns = declared_table(SCHEMA, "eval_uninsured_districts").column_names
    return (
        pd.DataFrame(groups, columns=list(group_columns)),
        pd.concat(districts, ignore_index=True)
        if districts
        else pd.DataFrame(columns=list(district_columns)),
    )


def did_row(comparison: Comparison, dataset: Dataset) -> dict[str, object]:
    """The panel difference-in-differences of ``dataset`` (13-week CBHI means, 3-month DHIS2
    values) as one more row of eval_tests, in the dataset's difference unit; ValueError when
    the dataset has no panel."""
    if dataset.panel is None:
        raise ValueError(f"{comparison.topic} / {comparison.metric} has no panel")
    estimate = did_oriented(dataset.panel, higher_is_better=dataset.higher_is_better)
    return {
        "topic": comparison.topic,
        "metric": comparison.metric,
        "baseline_label": comparison.baseline_label,
        "endline_label": comparison.endline_label,
        "method": dataset.panel_method,
        "estimate_pp": estimate.estimate_pp,
        "statistic": estimate.statistic,
        "p_value": estimate.p_value,
        "df": estimate.df,
        "ci_low_pp": estimate.ci_low_pp,
        "ci_high_pp": estimate.ci_high_pp,
        "alternative": estimate.alternative,
        "n_focus": estimate.n_focus_units,
        "n_comparison": estimate.n_comparison_units,
        "note": f"{dataset.panel_note}; {estimate.se_type}; {estimate.note}".rstrip("; "),
    }


def write_tables(con: duckdb.DuckDBPyConnection, run: EvaluationRun) -> dict[str, int]:
    """Replace the evaluation tables in one transaction; return row counts.

    Each table is created from its declaration (tpn_metrics.declared_tables: types, primary
    key), then filled, so an empty table keeps its declared types.
    """
    counts = {}
    uninsured_groups, uninsured_districts = uninsured_tables(run)
    with transaction(con):
        for name, frame in (
            ("eval_group_summaries", run.groups),
            ("eval_tests", run.tests),
            ("eval_institution_changes", run.institutions),
            ("eval_warnings", run.warnings),
            ("eval_uninsured_groups", uninsured_groups),
            ("eval_uninsured_districts", uninsured_districts),
        ):
            table = declared_table(SCHEMA, name)
            replace_table(con, table)
            counts[table.qualified_name] = insert_frame(con, table, frame)
    return counts
