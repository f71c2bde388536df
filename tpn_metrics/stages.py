"""The pipeline's stages as plain functions: what the flows wire together, and what the CLI
and tests call directly. None of them knows about Prefect.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from tpn_metrics.dbt_runner import DbtRunOutcome
from tpn_metrics.dbt_vars import project_vars
from tpn_metrics.emails.deliver import DeliveryReport, deliver_week
from tpn_metrics.emails.district_figures import latest_report_date
from tpn_metrics.emails.recipients import load_recipients
from tpn_metrics.evaluation.datasets import coverage_trajectories
from tpn_metrics.evaluation.headline import Headline, corrected_first, headlines
from tpn_metrics.evaluation.periods import PeriodRules
from tpn_metrics.evaluation.runner import (
    evaluable_datasets,
    evaluate,
    write_tables,
)
from tpn_metrics.ingest.intake import IngestOutcome, ingest_paths
from tpn_metrics.ingest.vocabulary import REFUSED_STATUSES
from tpn_metrics.population.projection import project
from tpn_metrics.population.report import corrections_html, corrections_markdown, latest_corrections
from tpn_metrics.reports.data_quality import data_quality_section
from tpn_metrics.reports.evaluation_report import ReportSection, render_html, render_markdown
from tpn_metrics.settings import Settings, SmtpSettings
from tpn_metrics.snapshot import writing_for_analysts
from tpn_metrics.twinning.plot import report_section
from tpn_metrics.twinning.warehouse import run_twinning
from tpn_metrics.warehouse import open_warehouse, table_exists
from tpn_metrics.warehouse_build import build_atomically

MART_TABLES = (
    "marts.dim_district",
    "marts.dim_hospital",
    "marts.dim_institution",
    "marts.fct_cbhi_weekly",
    "marts.fct_cbhi_fiscal_year",
    "marts.fct_cbhi_coverage_corrected",
    "marts.fct_accreditation",
    "marts.fct_tpn_priorities",
    "marts.fct_tpn_focus",
    "marts.fct_twinning_pairs",
    "marts.fct_dq_cbhi_district_reports",
    "marts.fct_dq_flags",
    "marts.fct_service_indicators",
    "marts.fct_service_coverage_corrected",
)


@dataclass(frozen=True)
class IngestSummary:
    """The outcome of each file one ingest run received, in the order received."""

    outcomes: tuple[IngestOutcome, ...]

    @property
    def counts(self) -> dict[str, int]:
        """Files per status (e.g. {"loaded": 3, "quarantined": 1})."""
        return dict(Counter(o.status for o in self.outcomes))

    @property
    def refused(self) -> tuple[IngestOutcome, ...]:
        """The files quarantined or whose ingestion crashed: the sender must act."""
        return tuple(o for o in self.outcomes if o.status in REFUSED_STATUSES)


def run_ingest(
    settings: Settings,
    paths: list[Path],
    today: dt.date | None = None,
    replay: dict[str, str] | None = None,
) -> IngestSummary:
    """Ingest ``paths`` (files or folders) into the landing schema; see
    :func:`tpn_metrics.ingest.intake.ingest_paths` for ``today`` and ``replay``.
    """
    return IngestSummary(tuple(ingest_paths(paths, settings, today=today, replay=replay)))


def run_dbt_build(settings: Settings, *, full_refresh: bool = False) -> DbtRunOutcome:
    """Seed, build and test every model on a copy of the warehouse, swapped in only when
    everything passed (docs/warehouse.md); raises DbtBuildError (naming nodes) on failure,
    leaving the warehouse and the analysts' snapshot as they were.
    """
    return build_atomically(settings, full_refresh=full_refresh)


@dataclass(frozen=True)
class CorrectionCheck:
    """Python's recomputation of the corrections mart: rows checked, disagreements (at most
    20, one line each), and the districts flagged stale-target or reported over 100%.
    """

    rows_checked: int
    mismatches: tuple[str, ...]
    stale_districts: tuple[str, ...]
    over_100_districts: tuple[str, ...]


def check_corrections(settings: Settings) -> CorrectionCheck:
    """Recompute every projection of the corrections mart in Python; they must agree to the
    person. Two independent implementations catch a drifted formula before anyone reads it.
    """
    with open_warehouse(settings.warehouse_path, read_only=True) as con:
        rows = con.execute(
            """
            select corrected.district_id, corrected.report_date,
                corrected.projected_population_geometric,
                corrected.projected_population_linear,
                districts.population_2012, districts.population_2022,
                corrected.is_target_stale, corrected.is_reported_over_100
            from marts.fct_cbhi_coverage_corrected as corrected
            inner join marts.dim_district as districts using (district_id)
            """
        ).fetchall()
    mismatches = []
    stale, over = set(), set()
    for district, day, geometric, linear, p2012, p2022, is_stale, is_over in rows:
        for method, value in (("geometric", geometric), ("linear", linear)):
            expected = project(int(p2012), int(p2022), day, method)
            if int(value) != expected:
                mismatches.append(f"{district} {day} {method}: mart {value}, Python {expected}")
        if is_stale:
            stale.add(district)
        if is_over:
            over.add(district)
    return CorrectionCheck(
        len(rows), tuple(mismatches[:20]), tuple(sorted(stale)), tuple(sorted(over))
    )


@dataclass(frozen=True)
class EvaluationOutputs:
    """What :func:`run_evaluation` wrote: rows per table, the HTML report and its Markdown."""

    table_rows: dict[str, int]
    html_path: Path
    markdown: str
    headlines: tuple[Headline, ...] = ()


def run_evaluation(
    settings: Settings,
    *,
    n_resamples: int = 10_000,
    topics: tuple[str, ...] | None = None,
    start: str | None = None,
    end: str | None = None,
) -> EvaluationOutputs:
    """Refresh the eval_* tables and the report. ``topics`` defaults to every evaluable topic
    (:func:`~tpn_metrics.evaluation.runner.evaluable_topics`). ``start``/``end`` (a year such
    as 2021 for accreditation, a date for CBHI, a month such as 2021-03 for DHIS2 topics)
    override the default periods of the one topic in ``topics``. Raises :class:`PeriodError`
    before anything is written when a period does not exist in the warehouse (on the default
    periods: when no topic can be evaluated; a topic that cannot is skipped and named in the
    report); the report files are replaced only once complete.
    """
    variables = project_vars(settings.dbt_project_dir)
    with writing_for_analysts(settings) as con:  # evaluation.* and twinning.* reach analysts
        datasets, skipped = evaluable_datasets(
            con,
            topics=topics,
            start=start,
            end=end,
            rules=PeriodRules.from_vars(variables),
        )
        run = evaluate(datasets, n_resamples=n_resamples, skipped=skipped)
        counts = write_tables(con, run)
        corrections = latest_corrections(con)
        trajectories = coverage_trajectories(con)
        twinning = run_twinning(con, reports_dir=settings.reports_dir)
        counts.update(twinning.table_rows)
        quality = data_quality_section(con)
    sections = [
        ReportSection(corrections_markdown(corrections), corrections_html(corrections)),
        report_section(twinning),
        quality,
    ]
    settings.reports_dir.mkdir(parents=True, exist_ok=True)
    html_path = settings.reports_dir / "evaluation.html"
    markdown = render_markdown(run, sections)
    _replace_text(html_path, render_html(run, sections, trajectories))
    _replace_text(settings.reports_dir / "evaluation.md", markdown)
    return EvaluationOutputs(counts, html_path, markdown, tuple(corrected_first(headlines(run))))


def _replace_text(path: Path, text: str) -> None:
    """Write beside ``path`` and rename over it: a reader never sees half a report."""
    partial = path.with_name(path.name + ".partial")
    partial.write_text(text, encoding="utf-8")
    partial.replace(path)


def run_emails(
    settings: Settings, *, smtp: SmtpSettings | None = None, report_date: dt.date | None = None
) -> DeliveryReport:
    """Send (or write to the outbox) the district emails of ``report_date`` (default: the
    latest report in the warehouse); the delivery ledger keeps a week from being sent twice.
    """
    recipients = load_recipients(settings.recipients_file)
    with open_warehouse(settings.warehouse_path) as con:
        week = report_date or latest_report_date(con)
        return deliver_week(
            con,
            report_date=week,
            recipients=recipients,
            outbox_dir=settings.outbox_dir,
            smtp=smtp,
        )


def table_counts(settings: Settings, tables: tuple[str, ...] = MART_TABLES) -> dict[str, int]:
    """Rows per table (``schema.table``) of those that exist in the warehouse."""
    counts = {}
    with open_warehouse(settings.warehouse_path, read_only=True) as con:
        for name in tables:
            schema, table = name.split(".")
            if table_exists(con, schema, table):
                row = con.execute(f"select count(*) from {name}").fetchone()
                counts[name] = int(row[0]) if row else 0
    return counts
