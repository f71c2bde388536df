"""Prefect tasks shared by the flows: each wraps one tpn_metrics stage.

Retries only where the failure can be transient I/O (a locked warehouse, an SMTP outage);
a dbt test failure or a statistics error is deterministic and must fail the run at once.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from prefect import get_run_logger, task
from prefect.tasks import exponential_backoff

from tpn_metrics import stages
from tpn_metrics.reports.outbox import DeliveryReport
from tpn_metrics.settings import Settings


def _settings(home: str) -> Settings:
    return Settings(home=Path(home))


@task(name="generate-sample")
def generate_sample_files(home: str, seed: int) -> str:
    from tpn_metrics.sample import generate_sample

    settings = _settings(home)
    manifest = generate_sample(settings.sample_dir, seed)
    get_run_logger().info("sample data: %d files in %s", len(manifest.files), settings.sample_dir)
    return str(settings.sample_dir)


@task(name="ingest-files", retries=2, retry_delay_seconds=[5, 30])
def ingest_files(home: str, paths: list[str], today: dt.date | None = None) -> stages.IngestSummary:
    logger = get_run_logger()
    summary = stages.run_ingest(_settings(home), [Path(p) for p in paths], today=today)
    logger.info("ingested: %s", summary.counts)
    for outcome in summary.refused:
        logger.warning("%s %s: %s", outcome.status, outcome.file_name, outcome.reason)
    return summary


@task(name="dbt-build")
def build_warehouse(home: str) -> None:
    outcome = stages.run_dbt_build(_settings(home))
    counts = ", ".join(f"{n} {status}" for status, n in sorted(outcome.status_counts.items()))
    get_run_logger().info(
        "dbt build passed in %.0f s (%s); full log in var/dbt_logs", outcome.elapsed_seconds, counts
    )


@task(name="check-population-corrections")
def check_population_corrections(home: str) -> stages.CorrectionCheck:
    check = stages.check_corrections(_settings(home))
    if check.mismatches:
        raise RuntimeError(
            "the corrections mart disagrees with the Python projection: "
            + "; ".join(check.mismatches)
        )
    get_run_logger().info(
        "corrections: %d rows agree with Python; stale targets in %s",
        check.rows_checked,
        ", ".join(check.stale_districts) or "no district",
    )
    return check


@task(name="refresh-evaluation")
def refresh_evaluation(home: str, n_resamples: int = 10_000) -> stages.EvaluationOutputs:
    outputs = stages.run_evaluation(_settings(home), n_resamples=n_resamples)
    get_run_logger().info("evaluation report: %s", outputs.html_path)
    return outputs


@task(
    name="deliver-emails",
    retries=3,
    retry_delay_seconds=exponential_backoff(backoff_factor=10),
    retry_jitter_factor=0.5,
)
def deliver_emails(home: str, use_smtp: bool = False) -> DeliveryReport:
    smtp = stages.smtp_from_environment() if use_smtp else None
    if use_smtp and smtp is None:
        raise RuntimeError("use_smtp is set but TPN_SMTP_HOST is not: nowhere to send")
    report = stages.run_emails(_settings(home), smtp=smtp)
    get_run_logger().info(
        "emails for %s: %d delivered, %d already done, %d pending",
        report.report_date,
        report.delivered,
        report.already_done,
        report.pending,
    )
    return report


@task(name="count-tables")
def count_tables(home: str) -> dict[str, int]:
    return stages.table_counts(_settings(home))
