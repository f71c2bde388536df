"""Once a year, after the MOH survey season: ingest the new accreditation results → validate
→ dbt build → evaluation refresh. No emails: district emails are about weekly CBHI figures.
"""

from __future__ import annotations

from prefect import flow

from flows.drop_folder_run import load_build_and_evaluate
from flows.failure_notice import notify_failure
from tpn_metrics.ingest.vocabulary import FileKind
from tpn_metrics.runs import RunResult


@flow(name="annual-accreditation", on_failure=[notify_failure], on_crashed=[notify_failure])
def annual_accreditation(
    drop_folder: str, home: str | None = None, n_resamples: int = 10_000
) -> RunResult:
    """Load the MOH accreditation file(s) in a drop folder (or one file) and refresh the
    accreditation marts and the evaluation.

    Parameters: drop_folder, where MOH files arrive (a folder or a file); home, the TPN_HOME
    of the warehouse; n_resamples, of the permutation test and bootstrap.

    The marts are rebuilt even when nothing new arrived, so a run after a failed one (file
    loaded, build failed) still brings them up to date. Refused files end the run as Failed,
    after the build and the summary, so the failure notice names them.
    """
    return load_build_and_evaluate(
        drop_folder,
        home,
        n_resamples,
        kind=FileKind.ACCREDITATION,
        setting="TPN_MOH_DROP_FOLDER",
        what="MOH drop folder",
        run_name="annual-accreditation",
        title="annual accreditation",
    )
