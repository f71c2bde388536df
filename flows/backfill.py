"""Load history: a folder of many files (years of RSSB weeks, accreditation years, the
registry) as ONE batch → ONE dbt build → corrections check → evaluation. No emails.

Why one batch: the weekly flow run once per file would rebuild every mart and re-run the
evaluation 157 times for three years of Fridays (hours instead of minutes), and the
week-on-week checks need the weeks loaded in date order, which one ingest call guarantees
whatever order the files sit in the folder.

Why no emails: the districts already received these weeks' figures when they were current.
Backfilling three fiscal years must not send 3 × 52 weeks × 30 districts of stale progress
emails. The next weekly run emails the latest week as usual (once: delivery is recorded per
district and week in ops.email_deliveries).
"""

from __future__ import annotations

from prefect import flow
from prefect.artifacts import create_markdown_artifact

from flows.failure_notice import notify_failure
from flows.run_summary import run_summary_markdown
from flows.tasks import (
    build_warehouse,
    check_population_corrections,
    count_tables,
    ingest_batch,
    refresh_evaluation,
)
from tpn_metrics.runs import RunResult, raise_if_refused
from tpn_metrics.settings import ConfigurationError, Settings, require_folder


@flow(name="backfill", on_failure=[notify_failure], on_crashed=[notify_failure])
def backfill(
    folder: str, home: str | None = None, n_resamples: int = 10_000, progress_every: int = 10
) -> RunResult:
    """Load every file under ``folder`` in one batch, then build, check and evaluate once.

    Parameters: folder, the files to load (sub-folders included; files already received are
    recognised by hash and skipped); home, the TPN_HOME of the warehouse; n_resamples, of the
    permutation test and bootstrap; progress_every, files between progress log lines.
    """
    home = home or str(Settings().home)
    if not require_folder(folder, "the folder parameter", "the backfill folder").is_dir():
        raise ConfigurationError(f"the backfill folder {folder} is a file, not a folder")
    ingest = ingest_batch(home, [folder], progress_every=progress_every, backfill=True)
    build = build_warehouse(home)
    corrections = check_population_corrections(home)
    evaluation = refresh_evaluation(home, n_resamples=n_resamples)
    result = RunResult(
        ingest=ingest,
        build=build,
        tables=count_tables(home),
        corrections=corrections,
        evaluation=evaluation,
    )
    create_markdown_artifact(
        key="tpn-backfill-run",
        markdown=run_summary_markdown("TPN backfill", result)
        + "\nNo district emails: historical weeks were reported when they were current.\n",
        description="Files, tables, corrections and evaluation of this backfill",
    )
    raise_if_refused(ingest)
    return result
