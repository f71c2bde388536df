"""Prefect tasks shared by the flows: each wraps one tpn_metrics stage.

Retries only where the failure can be transient I/O (a locked warehouse, an SMTP outage);
a dbt test failure or a statistics error is deterministic and must fail the run at once.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from pathlib import Path
from uuid import UUID

from prefect import get_run_logger, task
from prefect.tasks import exponential_backoff

from tpn_metrics import stages
from tpn_metrics.dbt_runner import DbtRunOutcome
from tpn_metrics.emails.deliver import DeliveryReport
from tpn_metrics.emails.quality_alert import QualityAlertReport, check_data_quality
from tpn_metrics.evaluation.periods import PeriodError
from tpn_metrics.ingest.intake import IngestOutcome, expand, ingest_paths
from tpn_metrics.ingest.vocabulary import FileStatus
from tpn_metrics.publish import PublishReport, is_connection_error, sql_publish
from tpn_metrics.settings import ConfigurationError, Settings


def _settings(home: str) -> Settings:
    return Settings(home=Path(home))


def _retry_unless_configuration(task: object, task_run: object, state: object) -> bool:
    """retry_condition_fn of the I/O tasks: never retry a ConfigurationError (a missing
    setting or folder does not appear by itself between retries)."""
    return not isinstance(_exception_of(state), ConfigurationError)


def _exception_of(state: object) -> BaseException | None:
    error = getattr(state, "data", None)
    if isinstance(error, BaseException):
        return error
    try:
        error = state.result(raise_on_failure=False)  # type: ignore[attr-defined]
    except Exception:
        return None
    return error if isinstance(error, BaseException) else None


@task(name="generate-sample")
def generate_sample_files(home: str, seed: int) -> str:
    """Write the synthetic input files for ``seed`` under <home>/sample_data; its path."""
    from tpn_metrics.sample import generate_sample

    settings = _settings(home)
    manifest = generate_sample(settings.sample_dir, seed)
    get_run_logger().info("sample data: %d files in %s", len(manifest.files), settings.sample_dir)
    return str(settings.sample_dir)


@task(
    name="ingest-files",
    retries=2,
    retry_delay_seconds=[5, 30],
    retry_condition_fn=_retry_unless_configuration,
)
def ingest_files(home: str, paths: list[str], today: dt.date | None = None) -> stages.IngestSummary:
    """Ingest the files or folders in ``paths`` (as on ``today``, default the real date): one
    outcome per file. Retried on I/O errors, never on a ConfigurationError."""
    logger = get_run_logger()
    summary = stages.run_ingest(_settings(home), [Path(p) for p in paths], today=today)
    logger.info("ingested: %s", summary.counts)
    for outcome in summary.refused:
        logger.warning("%s %s: %s", outcome.status, outcome.file_name, outcome.reason)
    return summary


@task(name="dbt-build")
def build_warehouse(home: str) -> DbtRunOutcome:
    """dbt build on a copy of the warehouse, swapped in when every node passed; the outcome
    (node counts by status, seconds). Raises DbtBuildError (not retried: deterministic)."""
    outcome = stages.run_dbt_build(_settings(home))
    counts = ", ".join(f"{n} {status}" for status, n in sorted(outcome.status_counts.items()))
    get_run_logger().info(
        "dbt build passed in %.0f s (%s); full log in var/dbt_logs", outcome.elapsed_seconds, counts
    )
    return outcome


@task(name="check-population-corrections")
def check_population_corrections(home: str) -> stages.CorrectionCheck:
    """Cross-check the corrections mart against the Python census projection: rows checked
    and districts with stale RSSB targets. Raises RuntimeError naming any mismatch."""
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
def refresh_evaluation(home: str, n_resamples: int = 10_000) -> stages.EvaluationOutputs | None:
    """The evaluation on the paper's periods; None (the last report kept, a warning logged)
    while the warehouse holds nothing to evaluate yet, so the run goes on to the emails."""
    try:
        outputs = stages.run_evaluation(_settings(home), n_resamples=n_resamples)
    except PeriodError as error:
        get_run_logger().warning("evaluation skipped, last report kept: %s", error)
        return None
    get_run_logger().info("evaluation report: %s", outputs.html_path)
    return outputs


@task(
    name="deliver-emails",
    retries=3,
    retry_delay_seconds=exponential_backoff(backoff_factor=10),
    retry_jitter_factor=0.5,
    retry_condition_fn=_retry_unless_configuration,
)
def deliver_emails(home: str, use_smtp: bool | None = None) -> DeliveryReport:
    """Over SMTP when TPN_SMTP_HOST is set, to the outbox otherwise (``use_smtp`` None);
    True requires SMTP, False forces the outbox. The weekly flow checks this before any work,
    and a ConfigurationError is never retried."""
    smtp = _settings(home).smtp if use_smtp is not False else None
    if use_smtp and smtp is None:
        raise ConfigurationError("use_smtp is set but TPN_SMTP_HOST is not: nowhere to send")
    report = stages.run_emails(_settings(home), smtp=smtp)
    get_run_logger().info(
        "emails for %s: %d delivered, %d already done, %d pending",
        report.report_date,
        report.delivered,
        report.already_done,
        report.pending,
    )
    if smtp is not None and report.pending:
        # Prefect retries this task; the ledger makes a retry send only what is still pending.
        raise RuntimeError(
            f"{report.pending} emails still pending: " + "; ".join(report.errors[:3])
        )
    return report


@task(
    name="alert-data-quality",
    retries=2,
    retry_delay_seconds=[10, 60],
    retry_condition_fn=_retry_unless_configuration,
)
def alert_data_quality(home: str, use_smtp: bool | None = None) -> QualityAlertReport:
    """The data team's alert on the latest week's data-quality flags, once per week
    (tpn_metrics.emails.quality_alert); retried when the warehouse is busy or SMTP fails.
    ``use_smtp`` False (the demo, sample data) writes it to the outbox whatever TPN_SMTP_*."""
    settings = _settings(home)
    if use_smtp is False:
        settings = replace(settings, smtp_environment=())  # no TPN_SMTP_*: the outbox
    report = check_data_quality(settings)
    if report.delivered:
        get_run_logger().warning(
            "data quality of %s: %d flagged value(s) alerted, %s",
            report.report_date,
            report.flags,
            report.delivered,
        )
    else:
        get_run_logger().info(
            "data quality of %s: %d new flag(s) since the report before (standing findings are "
            "in `tpn dq`)",
            report.report_date,
            report.flags,
        )
    return report


@task(name="count-tables")
def count_tables(home: str) -> dict[str, int]:
    """Rows per mart table, ``{"marts.fct_cbhi_weekly": rows}``."""
    return stages.table_counts(_settings(home))


# --- Added for the annual, backfill and publish flows (issue #11) ---------------------------


class _IngestProgress:
    """Callbacks of ingest_paths: a log line every ``every`` files and a Prefect progress
    artifact, over both passes (validating every file, then loading), each half of the bar.
    Reporting must never break the ingestion it reports on.
    """

    def __init__(self, total: int, every: int, key: str) -> None:
        self.total, self.every, self.done = max(total, 1), max(every, 1), 0
        self.checked = 0  # validated, or recognised as a duplicate (nothing to validate)
        self.logger = get_run_logger()
        self.statuses: dict[str, int] = {}
        self.artifact_id: UUID | None = None
        try:
            from prefect.artifacts import create_progress_artifact

            created = create_progress_artifact(
                progress=0.0, key=key, description=f"Files ingested, of {total}"
            )
            # Called from a task (synchronous), Prefect returns the id, not a coroutine.
            self.artifact_id = created if isinstance(created, UUID) else None
        except Exception as error:  # the API may be unreachable; the ingest must go on
            self.logger.warning("no progress artifact (%s)", error)

    def file_checked(self, name: str) -> None:
        self.checked += 1
        if self.checked % self.every == 0 or self.checked == self.total:
            self.logger.info("ingest: %d/%d files validated", self.checked, self.total)
            self._update_artifact()

    def __call__(self, outcome: IngestOutcome) -> None:
        self.done += 1
        status = outcome.status
        self.statuses[status] = self.statuses.get(status, 0) + 1
        if status == FileStatus.DUPLICATE:
            self.checked += 1
        if self.done % self.every and self.done != self.total:
            return
        counts = ", ".join(f"{n} {s}" for s, n in sorted(self.statuses.items()))
        self.logger.info("ingest: %d/%d files done (%s)", self.done, self.total, counts)
        self._update_artifact()

    def _update_artifact(self) -> None:
        if self.artifact_id is None:
            return
        share = (min(self.checked, self.total) + self.done) / (2 * self.total)
        try:
            from prefect.artifacts import update_progress_artifact

            update_progress_artifact(self.artifact_id, 100.0 * share)
        except Exception as error:
            self.logger.warning("progress artifact not updated (%s)", error)


@task(
    name="ingest-batch",
    retries=2,
    retry_delay_seconds=[5, 30],
    retry_condition_fn=_retry_unless_configuration,
)
def ingest_batch(
    home: str,
    paths: list[str],
    today: dt.date | None = None,
    progress_every: int = 10,
    progress_key: str = "tpn-backfill-progress",
    backfill: bool = False,
) -> stages.IngestSummary:
    """Ingest many files in ONE call: ingest_paths loads them in ledger order (registry,
    accreditation by year, RSSB by report date), so week-on-week checks compare the right
    weeks whatever order the files were received in. Safe to retry: loaded files come back
    as duplicates. ``backfill`` marks their ledger rows ``is_backfill`` (no timeliness).
    """
    settings = _settings(home)
    logger = get_run_logger()
    total = len(expand(Path(p) for p in paths))
    logger.info("ingest: %d files or registry folders under %s", total, ", ".join(paths))
    progress = _IngestProgress(total, progress_every, progress_key)
    summary = stages.IngestSummary(
        tuple(
            ingest_paths(
                [Path(p) for p in paths],
                settings,
                today=today,
                on_progress=progress,
                on_checked=progress.file_checked,
                backfill=backfill,
            )
        )
    )
    logger.info("ingested: %s", summary.counts)
    for outcome in summary.refused:
        logger.warning("%s %s: %s", outcome.status, outcome.file_name, outcome.reason)
    return summary


def _retry_on_connection_error(task: object, task_run: object, state: object) -> bool:
    """retry_condition_fn: retry a publish after a lost or refused connection, nothing else."""
    error = _exception_of(state)
    return error is not None and is_connection_error(error)


@task(
    name="publish-tables",
    retries=3,
    retry_delay_seconds=[30, 120, 600],
    retry_jitter_factor=0.5,
    retry_condition_fn=_retry_on_connection_error,
)
def publish_tables(home: str, url: str) -> PublishReport:
    """Copy marts/evaluation/twinning to the database at ``url`` in one transaction."""
    logger = get_run_logger()
    logger.info("publishing to %s", sql_publish.safe_url(url))
    report = sql_publish.publish(url, _settings(home))
    logger.info(
        "published %d tables, %d rows, to %s in %.1f s (%s)",
        len(report.tables),
        report.total_rows,
        report.target,
        report.elapsed_seconds,
        report.method,
    )
    for name in report.dropped:
        logger.warning("dropped %s from the target: it is no longer in the warehouse", name)
    return report
