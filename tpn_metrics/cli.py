"""`tpn`: the operator's command line. `tpn --help` lists the commands.

Exit codes: 0 success; 1 the run failed (dbt test, crash); 2 bad usage; 3 some input files
were quarantined (everything else was loaded).
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from tpn_metrics.cli_params import (
    DATE_FORMATS,
    as_date,
    district_id,
    marts_or_exit,
    projection_date,
    report_week_or_exit,
    share_below_one,
    usage_error,
)
from tpn_metrics.ingest.quarantine_cli import EXIT_QUARANTINED
from tpn_metrics.ingest.quarantine_cli import app as quarantine_app
from tpn_metrics.settings import ConfigurationError, Settings
from tpn_metrics.tool_environment import set_tool_defaults
from tpn_metrics.twinning.cli import app as twinning_app

app = typer.Typer(
    help="TPN warehouse: ingest RSSB and MOH files, build marts, evaluate, email districts.",
    no_args_is_help=True,
    add_completion=False,
)
emails_app = typer.Typer(help="Weekly district progress emails.", no_args_is_help=True)
app.add_typer(emails_app, name="emails")
app.add_typer(twinning_app, name="twinning")
# Wide enough for paths in the summary even when output is piped (rich assumes 80 then).
console = Console(width=None if sys.stdout.isatty() else 140)
Resamples = Annotated[int, typer.Option(min=1, help="Permutation/bootstrap resamples")]
Seed = Annotated[int, typer.Option(min=0, help="Random seed; the same seed gives the same bytes")]


def _outcome_table(outcomes: list) -> Table:  # type: ignore[type-arg]
    table = Table(title="Files")
    for column in ("file", "kind", "status", "rows", "detail"):
        table.add_column(column)
    for o in outcomes:
        detail = o.reason or "; ".join(o.warnings) or (o.period_key or "")
        if o.sheet and o.status == "loaded":
            detail = f"sheet '{o.sheet}'; {detail}"
        style = {"quarantined": "red", "crashed": "red bold", "duplicate": "dim"}.get(o.status)
        table.add_row(o.file_name, o.kind, o.status, str(o.rows), detail[:160], style=style)
    return table


@app.command()
def sample(
    out: Annotated[
        Path, typer.Option(file_okay=False, help="Folder to write the sample files into")
    ] = Path("sample_data"),
    seed: Seed = 2024,
) -> None:
    """Generate the synthetic input files (RSSB weekly, accreditation, registry)."""
    from tpn_metrics.sample import generate_sample

    manifest = generate_sample(out, seed)
    console.print(f"wrote {len(manifest.files)} files to {out} (manifest: {out / 'manifest.json'})")


@app.command()
def ingest(
    paths: Annotated[
        list[Path] | None, typer.Argument(help="Files or drop folders", show_default=False)
    ] = None,
    replay: Annotated[
        list[str] | None,
        typer.Option(
            "--replay",
            metavar="SHA",
            help="Ingest again a quarantined, crashed or dismissed file from its kept copy "
            "(SHA-256 or a unique prefix, as `tpn quarantine` shows); repeatable.",
        ),
    ] = None,
) -> None:
    """Ingest files: keep each by hash, validate, load or quarantine (exit 3 if any refused)."""
    from tpn_metrics.ingest.housekeeping import LedgerLookupError, replay_target
    from tpn_metrics.ingest.intake import data_docs_index
    from tpn_metrics.stages import run_ingest

    settings = Settings()
    paths = list(paths or [])
    if not paths and not replay:
        console.print("[red]give files or folders to ingest, or --replay SHA")
        raise typer.Exit(2)
    missing = [p for p in paths if not p.exists()]
    if missing:
        console.print(f"[red]no such file or folder: {', '.join(map(str, missing))}")
        raise typer.Exit(2)
    replayed: dict[str, str] = {}
    for sha in replay or []:
        try:
            target = replay_target(settings, sha)
        except LedgerLookupError as error:
            console.print(f"[red]{error}")
            raise typer.Exit(2) from error
        replayed[target.file_sha256] = target.file_name
        paths.append(Path(target.stored_path))
    summary = run_ingest(settings, paths, replay=replayed)
    console.print(_outcome_table(list(summary.outcomes)))
    console.print(f"ledger: {settings.warehouse_path} (tpn ledger / tpn quarantine)")
    docs = data_docs_index(settings)
    if docs.exists():
        console.print(f"validation results: {docs.as_uri()}")
    if summary.refused:
        raise typer.Exit(EXIT_QUARANTINED)


@app.command("ingest-payments")
def ingest_payments_command(
    path: Annotated[Path, typer.Argument(help="A payments extract (CSV)")],
) -> None:
    """Load a household payments extract, pseudonymised on arrival (TPN_PSEUDONYM_SALT)."""
    from tpn_metrics.ingest.errors import FileRejectedError
    from tpn_metrics.ingest.payments import ingest_payments

    if not path.is_file():
        console.print(f"[red]no such file: {path}")
        raise typer.Exit(2)
    try:
        outcome = ingest_payments(path, Settings())
    except RuntimeError as error:
        console.print(f"[red]{error}")
        raise typer.Exit(2) from error
    except FileRejectedError as error:
        console.print(f"[red]refused: {error}")
        raise typer.Exit(EXIT_QUARANTINED) from error
    if outcome.status == "quarantined":
        console.print(f"[red]quarantined {outcome.file_name}: {outcome.reason}")
        raise typer.Exit(EXIT_QUARANTINED)
    console.print(
        f"{outcome.status} {outcome.file_name}: {outcome.rows:,} payments "
        f"({outcome.already_received:,} already received), {outcome.period_key or ''}"
    )


def _ledger_rows(where: str) -> list[tuple]:  # type: ignore[type-arg]
    from tpn_metrics.warehouse import open_warehouse, table_exists

    settings = Settings()
    if not settings.warehouse_path.exists():
        return []
    with open_warehouse(settings.warehouse_path, read_only=True) as con:
        if not table_exists(con, "landing", "file_ledger"):
            return []
        return con.execute(
            f"""
            select file_name, kind, status, period_key, row_count, received_at,
                concat_ws('; ', case when status != 'quarantined' and xlsx_sheet is not null
                    then 'sheet ''' || xlsx_sheet || '''' end, coalesce(reason, warnings)),
                left(file_sha256, 12)
            from landing.file_ledger {where}
            order by received_at, kind, period_key, file_name
            """
        ).fetchall()


@app.command()
def ledger() -> None:
    """What arrived and what happened to it."""
    table = Table(title="File ledger")
    for column in (
        "file",
        "kind",
        "status",
        "period",
        "rows",
        "received (UTC)",
        "detail",
        "sha256",
    ):
        table.add_column(column)
    for row in _ledger_rows(""):
        table.add_row(*[("" if v is None else str(v))[:120] for v in row])
    console.print(table)


app.add_typer(quarantine_app, name="quarantine")


@app.command()
def build(
    full_refresh: Annotated[
        bool, typer.Option("--full-refresh", help="Rebuild the incremental marts from scratch.")
    ] = False,
) -> None:
    """Run dbt build (seeds, models, tests) on a copy of the warehouse; swap it in if all pass."""
    from tpn_metrics.dbt_runner import DbtBuildError
    from tpn_metrics.stages import run_dbt_build
    from tpn_metrics.warehouse import WarehouseBusyError
    from tpn_metrics.warehouse_swap import SwapError, build_paths

    settings = Settings()
    try:
        outcome = run_dbt_build(settings, full_refresh=full_refresh)
    except (DbtBuildError, SwapError, WarehouseBusyError) as error:
        console.print(f"[red]{error}")
        raise typer.Exit(1) from error
    refreshed = " (full refresh)" if "--full-refresh" in outcome.command else ""
    console.print(f"dbt build passed{refreshed}")
    console.print(f"analysts' read-only snapshot: {build_paths(settings).snapshot}")


@app.command()
def docs() -> None:
    """Generate the dbt docs (one self-contained HTML page) and print its path."""
    from tpn_metrics.dbt_docs import generate_docs
    from tpn_metrics.dbt_runner import DbtBuildError
    from tpn_metrics.warehouse import WarehouseBusyError
    from tpn_metrics.warehouse_swap import SwapError

    try:
        index = generate_docs(Settings())
    except (DbtBuildError, SwapError, WarehouseBusyError) as error:
        console.print(f"[red]{error}")
        raise typer.Exit(1) from error
    console.print(str(index))


@app.command()
def evaluate(
    topic: Annotated[
        str | None, typer.Option(help="accreditation or cbhi_enrollment (default: both)")
    ] = None,
    start: Annotated[
        str | None,
        typer.Option(
            "--from",
            help="Baseline: a survey year (accreditation, 2021) or a date (CBHI, 2021-03-23)",
        ),
    ] = None,
    end: Annotated[
        str | None,
        typer.Option("--to", help="Endline: a survey year (accreditation) or a date (CBHI)"),
    ] = None,
    resamples: Resamples = 10_000,
) -> None:
    """Refresh the evaluation tables and write the report (defaults: the paper's periods).

    Prints one headline per comparison: the effect the report recommends, its 95% interval and
    one-sided p-value. A period the warehouse does not hold exits 2 and writes nothing.
    """
    from tpn_metrics.evaluation.headline import headline_text
    from tpn_metrics.evaluation.periods import PeriodError
    from tpn_metrics.evaluation.runner import TOPICS_WITH_METRICS
    from tpn_metrics.stages import run_evaluation

    if (start or end) and topic is None:
        usage_error("--from/--to need --topic (years for accreditation, dates for CBHI)")
    if topic is not None and topic not in TOPICS_WITH_METRICS:
        usage_error(
            f"no metric in the warehouse for topic '{topic}': "
            f"use one of {', '.join(TOPICS_WITH_METRICS)}"
        )
    settings = Settings()
    marts_or_exit(settings)
    try:
        outputs = run_evaluation(
            settings,
            n_resamples=resamples,
            topics=(topic,) if topic else TOPICS_WITH_METRICS,
            start=start,
            end=end,
        )
    except PeriodError as error:
        usage_error(str(error))
    for line in outputs.headlines:
        typer.echo(headline_text(line))
    console.print(f"report: {outputs.html_path}")


@app.command()
def population(
    day: Annotated[
        dt.datetime,
        typer.Option(
            "--date",
            formats=DATE_FORMATS,
            callback=projection_date,
            help="Projection date, e.g. 2024-08-15 (2002-08-15 to 2032-08-15)",
        ),
    ],
    method: Annotated[str, typer.Option(help="geometric, linear or exponential")] = "geometric",
    control_total: Annotated[
        int | None, typer.Option(min=1, help="Scale districts to sum to this national total")
    ] = None,
    share: Annotated[
        float,
        typer.Option(
            callback=share_below_one,
            help="Share covered by other schemes (RAMA, MMI, private), 0 ≤ share < 1",
        ),
    ] = 0.10,
) -> None:
    """District populations projected from the 2012 and 2022 censuses, and CBHI targets."""
    from tpn_metrics.population.projection import cbhi_target, project_districts
    from tpn_metrics.reference import load_districts

    districts = load_districts(Settings().seeds_dir)
    try:
        when = day.date()
        projected = project_districts(
            {d.district_id: (d.population_2012, d.population_2022) for d in districts},
            when,
            method,
            control_total,
        )
    except ValueError as error:
        console.print(f"[red]{error}")
        raise typer.Exit(2) from error
    table = Table(title=f"Projected population on {when} ({method})")
    for column in ("district", "2012 census", "2022 census", "projected", "CBHI target"):
        table.add_column(column, justify="left" if column == "district" else "right")
    for d in districts:
        table.add_row(
            d.district_name,
            f"{d.population_2012:,}",
            f"{d.population_2022:,}",
            f"{projected[d.district_id]:,}",
            f"{cbhi_target(projected[d.district_id], share):,}",
        )
    table.add_row(
        "Rwanda",
        f"{sum(d.population_2012 for d in districts):,}",
        f"{sum(d.population_2022 for d in districts):,}",
        f"{sum(projected.values()):,}",
        "",
        style="bold",
    )
    console.print(table)


@emails_app.command("send")
def emails_send(
    dry_run: Annotated[bool, typer.Option(help="Write .eml files to the outbox instead")] = False,
    week: Annotated[
        dt.datetime | None,
        typer.Option(formats=DATE_FORMATS, help="Report date, YYYY-MM-DD (default: latest)"),
    ] = None,
) -> None:
    """Deliver the week's district emails not delivered yet (SMTP from TPN_SMTP_*)."""
    from tpn_metrics.stages import run_emails

    settings = Settings()
    smtp = None if dry_run else settings.smtp
    if not dry_run and smtp is None:
        console.print("[red]TPN_SMTP_HOST is not set: use --dry-run or configure SMTP")
        raise typer.Exit(2)
    day = report_week_or_exit(settings, as_date(week))
    report = run_emails(settings, smtp=smtp, report_date=day)
    console.print(
        f"week {report.report_date}: {report.delivered} delivered ({report.corrections} "
        f"corrections), {report.already_done} already delivered, {report.pending} pending"
    )
    for error in report.errors:
        console.print(f"[red]{error}")
    if report.errors:
        raise typer.Exit(1)


@emails_app.command("preview")
def emails_preview(
    district: Annotated[
        str,
        typer.Argument(
            callback=district_id, metavar="DISTRICT", help="District name or id, e.g. Gasabo"
        ),
    ],
    week: Annotated[
        dt.datetime | None,
        typer.Option(formats=DATE_FORMATS, help="Report date, YYYY-MM-DD (default: latest)"),
    ] = None,
) -> None:
    """Write one district's email as HTML and print its path."""
    from tpn_metrics.reports.district_weeks import district_weeks
    from tpn_metrics.reports.email_content import render_district_html
    from tpn_metrics.warehouse import open_warehouse

    settings = Settings()
    day = report_week_or_exit(settings, as_date(week))
    with open_warehouse(settings.warehouse_path, read_only=True) as con:
        weeks = {w.district_id: w for w in district_weeks(con, day)}
    if district not in weeks:  # the callback turned the name into the district's id
        console.print(f"[red]no data for {district} in week {day}")
        raise typer.Exit(1)
    path = settings.reports_dir / "email_previews" / f"{district}-{day}.html"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_district_html(weeks[district]), encoding="utf-8")
    console.print(str(path))


@app.command()
def demo(
    seed: Seed = 2024,
) -> None:
    """Generate the sample data and run the whole pipeline through Prefect."""
    settings = Settings()
    set_tool_defaults(settings)
    from flows.demo import tpn_demo

    started = dt.datetime.now()
    result = tpn_demo(home=str(settings.home), seed=seed)
    elapsed = (dt.datetime.now() - started).total_seconds()
    _print_demo_summary(settings, result, elapsed)


def _print_demo_summary(settings: Settings, result: dict, elapsed: float) -> None:  # type: ignore[type-arg]
    ingest, tables, emails = result["ingest"], result["tables"], result["emails"]
    summary = Table(title=f"TPN demo finished in {elapsed:.0f} s")
    summary.add_column("what")
    summary.add_column("result", justify="right")
    summary.add_column("where")
    for status, count in sorted(ingest.counts.items()):
        summary.add_row(f"files {status}", f"{count:,}", str(settings.landing_store))
    for name, rows in tables.items():
        summary.add_row(name, f"{rows:,} rows", str(settings.warehouse_path))
    evaluation = result["evaluation"]
    for name, rows in (evaluation.table_rows if evaluation else {}).items():
        summary.add_row(name, f"{rows:,} rows", str(settings.warehouse_path))
    summary.add_row(
        "evaluation report", "", str(evaluation.html_path) if evaluation else "not evaluated"
    )
    summary.add_row(
        f"emails for {emails.report_date}",
        f"{emails.delivered} new, {emails.already_done} already sent",
        str(settings.outbox_dir),
    )
    stale = ", ".join(result["corrections"].stale_districts) or "none"
    summary.add_row("stale RSSB targets", stale, "marts.fct_cbhi_coverage_corrected")
    console.print(summary)


# ---- operations: tpn status, tpn run weekly|accreditation, tpn backfill, tpn publish
run_app = typer.Typer(help="Run a pipeline flow now, through Prefect.", no_args_is_help=True)
app.add_typer(run_app, name="run")


def _folder_or_exit(given: Path | None, variable: str, what: str) -> Path:
    folder = given
    if folder is None:
        console.print(f"[red]no {what}: pass --drop-folder or set {variable}")
        raise typer.Exit(2)
    if not folder.exists():
        console.print(f"[red]no such file or folder: {folder}")
        raise typer.Exit(2)
    return folder


def _finish(state: Any, settings: Settings) -> dict:  # type: ignore[type-arg]
    """Exit 1 if the flow failed (3 if it failed only because files were refused)."""
    if not state.is_failed() and not state.is_crashed():
        return state.result()  # type: ignore[no-any-return]
    from flows.tasks import RefusedFilesError

    error = state.result(raise_on_failure=False)
    console.print(f"[red]{state.message}")
    console.print(f"failure notice: emailed to the data team, or in {settings.outbox_dir}/failures")
    raise typer.Exit(EXIT_QUARANTINED if isinstance(error, RefusedFilesError) else 1)


def _print_run(title: str, result: dict, started: dt.datetime) -> None:  # type: ignore[type-arg]
    elapsed = (dt.datetime.now() - started).total_seconds()
    table = Table(title=f"{title} finished in {elapsed:.0f} s")
    table.add_column("what")
    table.add_column("result", justify="right")
    for status_name, count in sorted(result["ingest"].counts.items()):
        table.add_row(f"files {status_name}", f"{count:,}")
    for name, rows in result["tables"].items():
        table.add_row(name, f"{rows:,} rows")
    evaluation = result["evaluation"]
    table.add_row(
        "evaluation report", str(evaluation.html_path) if evaluation else "nothing to evaluate yet"
    )
    console.print(table)


@app.command()
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


@run_app.command("weekly")
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
    set_tool_defaults(settings)
    from flows.weekly_cbhi import weekly_cbhi

    started = dt.datetime.now()
    state = weekly_cbhi(
        drop_folder=str(folder),
        home=str(settings.home),
        use_smtp=smtp,
        today=today,
        n_resamples=resamples,
        return_state=True,
    )
    result = _finish(state, settings)
    _print_demo_summary(settings, result, (dt.datetime.now() - started).total_seconds())


@run_app.command("accreditation")
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
    set_tool_defaults(settings)
    from flows.annual_accreditation import annual_accreditation

    started = dt.datetime.now()
    state = annual_accreditation(
        drop_folder=str(folder), home=str(settings.home), n_resamples=resamples, return_state=True
    )
    _print_run("Accreditation run", _finish(state, settings), started)


@app.command()
def backfill(
    folder: Annotated[Path, typer.Argument(help="Folder of historical files (any mix)")],
    resamples: Resamples = 10_000,
) -> None:
    """Load a folder of history in ONE batch, build and evaluate once; sends no emails."""
    settings = Settings()
    if not folder.is_dir():
        console.print(f"[red]no such folder: {folder}")
        raise typer.Exit(2)
    set_tool_defaults(settings)
    from flows.backfill import backfill as backfill_flow

    started = dt.datetime.now()
    state = backfill_flow(
        folder=str(folder), home=str(settings.home), n_resamples=resamples, return_state=True
    )
    _print_run("Backfill", _finish(state, settings), started)


@app.command()
def publish(
    url: Annotated[
        str | None,
        typer.Option(
            help="Target database, a SQLAlchemy URL such as postgresql://user@host/db "
            "(password in ~/.pgpass or PGPASSWORD rather than here)",
            envvar="TPN_PUBLISH_URL",
            show_envvar=True,
        ),
    ] = None,
) -> None:
    """Copy marts and evaluation tables to PostgreSQL in one transaction, with a catalog."""
    from tpn_metrics.publish import publish as publish_tables
    from tpn_metrics.publish import safe_url

    if not url:
        console.print("[red]nowhere to publish: pass --url or set TPN_PUBLISH_URL")
        raise typer.Exit(2)
    _database_url_or_exit(url)
    settings = Settings()
    marts_or_exit(settings)
    try:
        report = publish_tables(url, settings)
    except Exception as error:  # one transaction: whatever failed, the target is unchanged
        console.print(f"[red]publish to {safe_url(url)} failed, target unchanged: {error}")
        raise typer.Exit(1) from error
    table = Table(title=f"Published to {report.target} in {report.elapsed_seconds:.1f} s")
    table.add_column("table")
    table.add_column("rows", justify="right")
    for name, rows in report.tables.items():
        table.add_row(name, f"{rows:,}")
    console.print(table)
    for name in report.dropped:
        console.print(f"dropped {name}: no longer in the warehouse")


def _database_url_or_exit(url: str) -> None:
    """A URL SQLAlchemy can read, for a database it has a dialect for; else exit 2."""
    import sqlalchemy as sa
    from sqlalchemy.exc import ArgumentError, NoSuchModuleError

    try:
        parsed = sa.engine.make_url(url)
    except (ArgumentError, ValueError):
        usage_error("--url is not a database URL: expected e.g. postgresql://user@host/db")
    try:
        parsed.get_dialect()
    except NoSuchModuleError:
        usage_error(
            f"--url names an unknown database type '{parsed.drivername}': "
            "expected e.g. postgresql://user@host/db"
        )


@app.command()
def export(
    table: Annotated[str, typer.Argument(help="schema.table, e.g. marts.fct_cbhi_weekly")],
    path: Annotated[Path, typer.Argument(help="Where to write: .csv or .xlsx")],
) -> None:
    """Export a table for a spreadsheet (CSV or XLSX); formula-like text is neutralised."""
    from tpn_metrics.export import ExportError, export_table
    from tpn_metrics.warehouse import open_warehouse
    from tpn_metrics.warehouse_swap import build_paths

    settings = Settings()
    suffix = path.suffix.lower().lstrip(".")
    if suffix not in ("csv", "xlsx"):
        console.print(f"[red]{path.name}: name the file .csv or .xlsx")
        raise typer.Exit(2)
    # The analysts' snapshot never waits for a running build; the live file is the fallback.
    snapshot = build_paths(settings).snapshot
    source = snapshot if snapshot.exists() else settings.warehouse_path
    if not source.exists():
        console.print(f"[red]no warehouse at {settings.warehouse_path}: run `tpn build` first")
        raise typer.Exit(2)
    with open_warehouse(source, read_only=True) as con:
        try:
            summary = export_table(con, table, path, format=suffix)  # type: ignore[arg-type]
        except ExportError as error:
            console.print(f"[red]{error}")
            raise typer.Exit(2) from error
    console.print(
        f"{summary.rows:,} {'row' if summary.rows == 1 else 'rows'} of {table} written to "
        f"{summary.path} "
        f"({summary.cells_neutralised} formula-like cells shown as text, prefixed with ')"
    )


def main() -> None:
    """The `tpn` entry point. A wrong argument is click's plain usage error (exit 2): the
    `Error: …` line holds the whole message, where typer's rich panel would wrap it."""
    try:
        set_tool_defaults(Settings())
        code = app(standalone_mode=False)
    except typer.TyperException as error:  # click's usage errors (typer vendors click)
        show = getattr(error, "show", None)
        if show is not None:
            show()
        else:
            typer.echo(f"Error: {error.format_message()}", err=True)
        sys.exit(error.exit_code)
    except typer.Abort:
        typer.echo("Aborted!", err=True)
        sys.exit(1)
    except Exception as error:  # an operator gets one clear line, not a traceback
        from tpn_metrics.warehouse import WarehouseBusyError

        if isinstance(error, WarehouseBusyError | ConfigurationError):
            console.print(f"[red]{error}")
            sys.exit(1)
        raise
    sys.exit(code if isinstance(code, int) else 0)
