"""Friday: ingest the new RSSB file(s) → validate → dbt build → data-quality alert →
corrections → evaluation → district emails. A failing dbt test stops the run before any email
goes out.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from prefect import flow
from prefect.artifacts import create_markdown_artifact

from flows.failure_notice import notify_failure
from flows.run_summary import run_summary_markdown
from flows.tasks import (
    alert_data_quality,
    build_warehouse,
    check_population_corrections,
    count_tables,
    deliver_emails,
    ingest_files,
    refresh_evaluation,
)
from tpn_metrics.runs import RunResult, raise_if_refused
from tpn_metrics.settings import ConfigurationError, Settings, require_folder


@flow(name="weekly-cbhi", on_failure=[notify_failure], on_crashed=[notify_failure])
def weekly_cbhi(
    drop_folder: str,
    home: str | None = None,
    use_smtp: bool | None = None,
    today: dt.date | None = None,
    n_resamples: int = 10_000,
) -> RunResult:
    """Load a drop folder (or file) and bring marts, evaluation and emails up to date.

    Parameters: drop_folder, where RSSB files arrive; home, the TPN_HOME of the warehouse;
    use_smtp, None (default) to send through TPN_SMTP_* when TPN_SMTP_HOST is set and write
    .eml files to the outbox otherwise, True to require SMTP, False to force the outbox.

    Configuration is checked first (ConfigurationError, one line, no retry). Refused files do
    not stop the others: everything else is loaded, built and emailed, then the run ends
    Failed (RefusedFilesError) so the failure notice names them.
    """
    settings = Settings(home=Path(home)) if home else Settings()
    home = str(settings.home)
    require_folder(drop_folder, "TPN_DROP_FOLDER", "the RSSB drop folder")
    if use_smtp and settings.smtp is None:
        raise ConfigurationError("use_smtp is set but TPN_SMTP_HOST is not: nowhere to send")
    ingest = ingest_files(home, [drop_folder], today=today)
    build = build_warehouse(home)
    alert_data_quality(home, use_smtp=use_smtp)
    corrections = check_population_corrections(home)
    evaluation = refresh_evaluation(home, n_resamples=n_resamples)
    emails = deliver_emails(home, use_smtp=use_smtp)
    result = RunResult(
        ingest=ingest,
        build=build,
        tables=count_tables(home),
        corrections=corrections,
        evaluation=evaluation,
        emails=emails,
    )
    create_markdown_artifact(
        key="tpn-weekly-run",
        markdown=run_summary_markdown("TPN weekly CBHI run", result),
        description="Files, tables, corrections, evaluation and emails of this run",
    )
    raise_if_refused(ingest)
    return result
