"""`tpn build`, `tpn docs`, `tpn publish`, `tpn export`: the warehouse built, documented and
handed to analysts. Registered on the app by tpn_metrics/cli/__init__.py."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from tpn_metrics.cli.output import console
from tpn_metrics.cli.params import marts_or_exit, usage_error
from tpn_metrics.settings import Settings


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


def publish(
    url: Annotated[
        str | None,
        typer.Option(
            help="Target database, a SQLAlchemy URL such as postgresql://user@host/db "
            "(password in ~/.pgpass or PGPASSWORD rather than here) [default: TPN_PUBLISH_URL]",
        ),
    ] = None,
) -> None:
    """Copy marts and evaluation tables to PostgreSQL in one transaction, with a catalog."""
    import tpn_metrics.publish
    from tpn_metrics.publish import safe_url

    settings = Settings()
    url = url or settings.publish_url
    if not url:
        console.print("[red]nowhere to publish: pass --url or set TPN_PUBLISH_URL")
        raise typer.Exit(2)
    _database_url_or_exit(url)
    marts_or_exit(settings)
    try:
        report = tpn_metrics.publish.publish(url, settings)
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
