"""Once a month, when the HMIS's monthly reports are in: ingest the DHIS2 exports → validate →
dbt build → evaluation and twinning refresh. No emails: district emails are about weekly CBHI.
"""

from __future__ import annotations

from prefect import flow, get_run_logger
from prefect.artifacts import create_markdown_artifact

from flows.failure_notice import notify_failure
from flows.run_summary import run_summary_markdown
from flows.tasks import build_warehouse, count_tables, ingest_files, refresh_evaluation
from tpn_metrics.ingest.vocabulary import FileKind, FileStatus
from tpn_metrics.runs import RunResult, raise_if_refused
from tpn_metrics.settings import Settings, require_folder


@flow(name="monthly-dhis2", on_failure=[notify_failure], on_crashed=[notify_failure])
def monthly_dhis2(
    drop_folder: str, home: str | None = None, n_resamples: int = 10_000
) -> RunResult:
    """Load the DHIS2 exports in a drop folder (or one file) and refresh the service-indicator
    marts, the twinning and the evaluation.

    Parameters: drop_folder, where the HMIS exports arrive (a folder or a file); home, the
    TPN_HOME of the warehouse; n_resamples, of the permutation test and bootstrap.

    The marts are rebuilt even when nothing new arrived, so a run after a failed one still
    brings them up to date. Refused files end the run as Failed, after the build and the
    summary, so the failure notice names them.
    """
    home = home or str(Settings().home)
    require_folder(drop_folder, "TPN_DHIS2_DROP_FOLDER", "the DHIS2 drop folder")
    ingest = ingest_files(home, [drop_folder])
    if not any(o.kind == FileKind.DHIS2 and o.status == FileStatus.LOADED for o in ingest.outcomes):
        get_run_logger().warning(
            "no new DHIS2 export in %s: rebuilding on what is loaded", drop_folder
        )
    build = build_warehouse(home)
    evaluation = refresh_evaluation(home, n_resamples=n_resamples)
    result = RunResult(ingest=ingest, build=build, tables=count_tables(home), evaluation=evaluation)
    create_markdown_artifact(
        key="tpn-monthly-dhis2",
        markdown=run_summary_markdown("TPN monthly DHIS2 run", result),
        description="Files, tables and evaluation of this DHIS2 run",
    )
    raise_if_refused(ingest)
    return result
