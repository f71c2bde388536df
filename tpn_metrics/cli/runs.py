"""`tpn demo`, `tpn run weekly|accreditation|dhis2`, `tpn backfill`, `tpn status`: pipeline
runs now, through Prefect, and how the last ones went. Registered by tpn_metrics/cli/__init__.py.

The flows are loaded by Prefect from their files, at the entrypoints prefect.yaml deploys
(:data:`FLOW_ENTRYPOINTS`), so this package never imports ``flows``; Prefect itself is
imported only when a run starts, after :func:`set_tool_defaults` has set ``PREFECT_HOME``.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from tpn_metrics.cli.output import EXIT_QUARANTINED, Resamples, Seed, console
from tpn_metrics.cli.params import DATE_FORMATS, as_date
from tpn_metrics.settings import Settings
from tpn_metrics.tool_environment import set_tool_defaults

if TYPE_CHECKING:
    from prefect import Flow

    from tpn_metrics.runs import RunResult

DEMO_FLOW = "flows/demo.py:tpn_demo"
WEEKLY_FLOW = "flows/weekly_cbhi.py:weekly_cbhi"
ACCREDITATION_FLOW = "flows/annual_accreditation.py:annual_accreditation"
BACKFILL_FLOW = "flows/backfill.py:backfill"
DHIS2_FLOW = "flows/monthly_dhis2.py:monthly_dhis2"
FLOW_ENTRYPOINTS = (DEMO_FLOW, WEEKLY_FLOW, ACCREDITATION_FLOW, BACKFILL_FLOW, DHIS2_FLOW)
"""The flows the CLI runs, as ``<file under the project root>:<flow function>`` (prefect.yaml's
``entrypoint`` form)."""

app = typer.Typer(help="Run a pipeline flow now, through Prefect.", no_args_is_help=True)


def load_flow(settings: Settings, entrypoint: str) -> Flow[..., Any]:
    """The Prefect flow at ``entrypoint`` (one of :data:`FLOW_ENTRYPOINTS`), loaded from the
    project's ``flows/`` folder by Prefect's ``load_flow_from_entrypoint``. Sets the tools'
    environment (``PREFECT_HOME``…) first. Raises prefect's ``ScriptError`` when the file fails
    to import and ``MissingFlowError`` when it holds no such flow."""
    set_tool_defaults(settings)
    from prefect.flows import load_flow_from_entrypoint

    path, name = entrypoint.rsplit(":", maxsplit=1)
    return load_flow_from_entrypoint(
        f"{settings.project_root / path}:{name}", use_placeholder_flow=False
    )


def _run_result(value: object, entrypoint: str) -> RunResult:
    from tpn_metrics.runs import RunResult

    if not isinstance(value, RunResult):
        raise TypeError(f"{entrypoint} returned {type(value).__name__}, not a RunResult")
    return value


def _folder_or_exit(given: Path | None, variable: str, what: str) -> Path:
    folder = given
    if folder is None:
        console.print(f"[red]no {what}: pass --drop-folder or set {variable}")
        raise typer.Exit(2)
    if not folder.exists():
        console.print(f"[red]no such file or folder: {folder}")
        raise typer.Exit(2)
    return folder


def _finish(state: object, settings: Settings, entrypoint: str) -> RunResult:
    """The result of a run called with ``return_state=True``; exit 1 if the flow failed (3 if
    it failed only because files were refused)."""
    from prefect.client.schemas.objects import State

    if not isinstance(state, State):
        raise TypeError(f"{entrypoint} returned {type(state).__name__}, not a Prefect state")
    if not state.is_failed() and not state.is_crashed():
        return _run_result(state.result(), entrypoint)
    from tpn_metrics.runs import RefusedFilesError

    error = state.result(raise_on_failure=False)
    console.print(f"[red]{state.message}")
    console.print(f"failure notice: emailed to the data team, or in {settings.outbox_dir}/failures")
    raise typer.Exit(EXIT_QUARANTINED if isinstance(error, RefusedFilesError) else 1)


def _print_demo_summary(settings: Settings, result: RunResult, elapsed: float) -> None:
    summary = Table(title=f"TPN demo finished in {elapsed:.0f} s")
    summary.add_column("what")
    summary.add_column("result", justify="right")
    summary.add_column("where")
    for status, count in sorted(result.ingest.counts.items()):
        summary.add_row(f"files {status}", f"{count:,}", str(settings.landing_store))
    for name, rows in result.tables.items():
        summary.add_row(name, f"{rows:,} rows", str(settings.warehouse_path))
    evaluation = result.evaluation
    for name, rows in (evaluation.table_rows if evaluation else {}).items():
        summary.add_row(name, f"{rows:,} rows", str(settings.warehouse_path))
    summary.add_row(
        "evaluation report", "", str(evaluation.html_path) if evaluation else "not evaluated"
    )
    emails = result.emails
    if emails is not None:
        summary.add_row(
            f"emails for {emails.report_date}",
            f"{emails.delivered} new, {emails.already_done} already sent",
            str(settings.outbox_dir),
        )
    if result.corrections is not None:
        stale = ", ".join(result.corrections.stale_districts) or "none"
        summary.add_row("stale RSSB targets", stale, "marts.fct_cbhi_coverage_corrected")
    console.print(summary)


def _print_run(title: str, result: RunResult, started: dt.datetime) -> None:
    elapsed = (dt.datetime.now() - started).total_seconds()
    table = Table(title=f"{title} finished in {elapsed:.0f} s")
    table.add_column("what")
    table.add_column("result", justify="right")
    for status_name, count in sorted(result.ingest.counts.items()):
        table.add_row(f"files {status_name}", f"{count:,}")
    for name, rows in result.tables.items():
        table.add_row(name, f"{rows:,} rows")
    evaluation = result.evaluation
    table.add_row(
        "evaluation report", str(evaluation.html_path) if evaluation else "nothing to evaluate yet"
    )
    console.print(table)


def demo(
    seed: Seed = 2024,
) -> None:
    """Generate the sample data and run the whole pipeline through Prefect."""
    settings = Settings()
    tpn_demo = load_flow(settings, DEMO_FLOW)
    started = dt.datetime.now()
    result = _run_result(tpn_demo(home=str(settings.home), seed=seed), DEMO_FLOW)
    elapsed = (dt.datetime.now() - started).total_seconds()
    _print_demo_summary(settings, result, elapsed)


def status(
    strict: Annotated[
        bool, typer.Option(help="Exit 1 when anything needs attention (for monitoring)")
    ] = False,
) -> None:
    """Last load per source, freshness, pending emails, files in quarantine."""
    from tpn_metrics.ops_status import collect_status, render_status

    current = collect_status(Settings())
    console.print(render_status(current))
    if strict and not current.healthy:
        raise typer.Exit(1)


@app.command("weekly")
def run_weekly(
    drop_folder: Annotated[
        Path | None, typer.Option(help="Folder or file of RSSB updates [default: TPN_DROP_FOLDER]")
    ] = None,
    date: Annotated[
        dt.datetime | None,
        typer.Option(formats=DATE_FORMATS, help="Run as on this date, YYYY-MM-DD (default: today)"),
    ] = None,
    smtp: Annotated[
        bool | None,
        typer.Option(
            "--smtp/--outbox",
            help="Send through TPN_SMTP_*, or write .eml files to the outbox "
            "(default: SMTP when TPN_SMTP_HOST is set)",
        ),
    ] = None,
    resamples: Resamples = 10_000,
) -> None:
    """The Friday run now: ingest, validate, dbt build, corrections, evaluation, emails."""
    settings = Settings()
    folder = _folder_or_exit(
        drop_folder or settings.rssb_drop_folder, "TPN_DROP_FOLDER", "RSSB drop folder"
    )
    today = as_date(date)
    weekly_cbhi = load_flow(settings, WEEKLY_FLOW)
    started = dt.datetime.now()
    state = weekly_cbhi(
        drop_folder=str(folder),
        home=str(settings.home),
        use_smtp=smtp,
        today=today,
        n_resamples=resamples,
        return_state=True,
    )
    result = _finish(state, settings, WEEKLY_FLOW)
    _print_demo_summary(settings, result, (dt.datetime.now() - started).total_seconds())


def _run_drop_folder_flow(
    settings: Settings, entrypoint: str, folder: Path, resamples: int, title: str
) -> None:
    """Run a flow that loads one drop folder, builds and evaluates (``drop_folder``, ``home``,
    ``n_resamples``), then print its table; exits as :func:`_finish` does."""
    run_flow = load_flow(settings, entrypoint)
    started = dt.datetime.now()
    state = run_flow(
        drop_folder=str(folder), home=str(settings.home), n_resamples=resamples, return_state=True
    )
    _print_run(title, _finish(state, settings, entrypoint), started)


@app.command("accreditation")
def run_accreditation(
    drop_folder: Annotated[
        Path | None,
        typer.Option(help="Folder or file of MOH results [default: TPN_MOH_DROP_FOLDER]"),
    ] = None,
    resamples: Resamples = 10_000,
) -> None:
    """The yearly accreditation run now: ingest, validate, dbt build, evaluation (no emails)."""
    settings = Settings()
    folder = _folder_or_exit(
        drop_folder or settings.moh_drop_folder, "TPN_MOH_DROP_FOLDER", "MOH drop folder"
    )
    _run_drop_folder_flow(settings, ACCREDITATION_FLOW, folder, resamples, "Accreditation run")


@app.command("dhis2")
def run_dhis2(
    drop_folder: Annotated[
        Path | None,
        typer.Option(help="Folder or file of DHIS2 exports [default: TPN_DHIS2_DROP_FOLDER]"),
    ] = None,
    resamples: Resamples = 10_000,
) -> None:
    """The monthly DHIS2 run now: ingest the HMIS exports, validate, dbt build, twinning and
    evaluation (no emails)."""
    settings = Settings()
    folder = _folder_or_exit(
        drop_folder or settings.dhis2_drop_folder, "TPN_DHIS2_DROP_FOLDER", "DHIS2 drop folder"
    )
    _run_drop_folder_flow(settings, DHIS2_FLOW, folder, resamples, "DHIS2 run")


def backfill(
    folder: Annotated[Path, typer.Argument(help="Folder of historical files (any mix)")],
    resamples: Resamples = 10_000,
) -> None:
    """Load a folder of history in ONE batch, build and evaluate once; sends no emails."""
    settings = Settings()
    if not folder.is_dir():
        console.print(f"[red]no such folder: {folder}")
        raise typer.Exit(2)
    backfill_flow = load_flow(settings, BACKFILL_FLOW)
    started = dt.datetime.now()
    state = backfill_flow(
        folder=str(folder), home=str(settings.home), n_resamples=resamples, return_state=True
    )
    _print_run("Backfill", _finish(state, settings, BACKFILL_FLOW), started)
