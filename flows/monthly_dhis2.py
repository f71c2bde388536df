"""Once a month, when the HMIS's monthly reports are in: ingest the DHIS2 exports → validate →
dbt build → evaluation and twinning refresh. No emails: district emails are about weekly CBHI.
"""

from __future__ import annotations

from prefect import flow

from flows.drop_folder_run import load_build_and_evaluate
from flows.failure_notice import notify_failure
from tpn_metrics.ingest.vocabulary import FileKind
from tpn_metrics.runs import RunResult


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
    return load_build_and_evaluate(
        drop_folder,
        home,
        n_resamples,
        kind=FileKind.DHIS2,
        setting="TPN_DHIS2_DROP_FOLDER",
        what="DHIS2 drop folder",
        run_name="monthly-dhis2",
        title="monthly DHIS2",
    )
