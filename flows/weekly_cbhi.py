"""Friday: ingest the new RSSB file(s) → validate → dbt build → corrections → evaluation →
district emails. A failing dbt test stops the run before any email goes out.
"""

from __future__ import annotations

import datetime as dt

from prefect import flow
from prefect.artifacts import create_markdown_artifact

from flows.failure_notice import notify_failure
from flows.run_summary import run_summary_markdown
from flows.tasks import (
    build_warehouse,
    check_population_corrections,
    count_tables,
    deliver_emails,
    ingest_files,
    refresh_evaluation,
)
from tpn_metrics.settings import Settings


@flow(name="weekly-cbhi", on_failure=[notify_failure], on_crashed=[notify_failure])
def weekly_cbhi(
    drop_folder: str,
    home: str | None = None,
    use_smtp: bool = False,
    today: dt.date | None = None,
    n_resamples: int = 10_000,
) -> dict[str, object]:
    """Load a drop folder (or file) and bring marts, evaluation and emails up to date.

    Parameters: drop_folder, where RSSB files arrive; home, the TPN_HOME of the warehouse;
    use_smtp, send through TPN_SMTP_* instead of writing .eml files to the outbox.
    """
    home = home or str(Settings().home)
    ingest = ingest_files(home, [drop_folder], today=today)
    build_warehouse(home)
    corrections = check_population_corrections(home)
    evaluation = refresh_evaluation(home, n_resamples=n_resamples)
    emails = deliver_emails(home, use_smtp=use_smtp)
    tables = count_tables(home)
    create_markdown_artifact(
        key="tpn-weekly-run",
        markdown=run_summary_markdown(
            "TPN weekly CBHI run", ingest, tables, corrections, evaluation, emails
        ),
        description="Files, tables, corrections, evaluation and emails of this run",
    )
    return {
        "ingest": ingest,
        "tables": tables,
        "corrections": corrections,
        "evaluation": evaluation,
        "emails": emails,
    }
