"""The body the annual accreditation and monthly DHIS2 flows share: load one drop folder,
build, evaluate, summarise, and fail last if a file was refused. Called inside a flow run."""

from __future__ import annotations

from prefect import get_run_logger
from prefect.artifacts import create_markdown_artifact

from flows.run_summary import run_summary_markdown
from flows.tasks import build_warehouse, count_tables, ingest_files, refresh_evaluation
from tpn_metrics.ingest.vocabulary import FileKind, FileStatus
from tpn_metrics.runs import RunResult, raise_if_refused
from tpn_metrics.settings import Settings, require_folder


def load_build_and_evaluate(
    drop_folder: str,
    home: str | None,
    n_resamples: int,
    *,
    kind: FileKind,
    setting: str,
    what: str,
    run_name: str,
    title: str,
) -> RunResult:
    """Ingest ``drop_folder`` (checked first: ConfigurationError naming ``setting``), build
    even when nothing new of ``kind`` arrived (a run after a failed one catches up), refresh
    the evaluation, publish the run summary (``title``, e.g. "annual accreditation") as the
    artifact ``tpn-<run_name>``, then raise
    RefusedFilesError if any file was refused (so the failure notice names it)."""
    home = home or str(Settings().home)
    require_folder(drop_folder, setting, f"the {what}")
    ingest = ingest_files(home, [drop_folder])
    if not any(o.kind == kind and o.status == FileStatus.LOADED for o in ingest.outcomes):
        get_run_logger().warning(
            "nothing new of kind %s in %s: rebuilding on what is loaded", kind, drop_folder
        )
    build = build_warehouse(home)
    evaluation = refresh_evaluation(home, n_resamples=n_resamples)
    result = RunResult(ingest=ingest, build=build, tables=count_tables(home), evaluation=evaluation)
    create_markdown_artifact(
        key=f"tpn-{run_name}",
        markdown=run_summary_markdown(f"TPN {title} run", result),
        description=f"Files, tables and evaluation of this {title} run",
    )
    raise_if_refused(ingest)
    return result
