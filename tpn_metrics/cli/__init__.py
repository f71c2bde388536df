"""`tpn`: the operator's command line. `tpn --help` lists the commands.

Exit codes: 0 success; 1 the run failed (dbt test, crash); 2 bad usage; 3 some input files
were quarantined (everything else was loaded).

The commands live in one module per subject (ingest, warehouse, analysis, quality, emails,
runs, quarantine, twinning); this module puts them on one typer app, in the order `tpn --help`
lists them. Heavy modules (pandas, dbt, Prefect) are imported inside the commands, so that
`tpn --help` stays fast.
"""

from __future__ import annotations

import sys

import typer

from tpn_metrics.cli import (
    analysis,
    emails,
    ingest,
    quality,
    quarantine,
    runs,
    twinning,
    warehouse,
)
from tpn_metrics.cli.output import EXIT_QUARANTINED, console
from tpn_metrics.settings import ConfigurationError, Settings
from tpn_metrics.tool_environment import set_tool_defaults

__all__ = ["EXIT_QUARANTINED", "app", "main"]

app = typer.Typer(
    help="TPN warehouse: ingest RSSB and MOH files, build marts, evaluate, email districts.",
    no_args_is_help=True,
    add_completion=False,
)
app.command()(ingest.sample)
app.command()(ingest.ingest)
app.command("ingest-payments")(ingest.ingest_payments)
app.command()(ingest.ledger)
app.command()(warehouse.build)
app.command()(warehouse.docs)
app.command()(analysis.evaluate)
app.command()(analysis.population)
app.command()(quality.dq)
app.command()(runs.demo)
app.command()(runs.status)
app.command()(runs.backfill)
app.command()(warehouse.publish)
app.command()(warehouse.export)
app.add_typer(emails.app, name="emails")
app.add_typer(twinning.app, name="twinning")
app.add_typer(quarantine.app, name="quarantine")
app.add_typer(runs.app, name="run")


def main() -> None:
    """The `tpn` entry point. A wrong argument is click's plain usage error (exit 2): the
    `Error: …` line holds the whole message, where typer's rich panel would wrap it.
    Exits 1 with one line (no traceback) when the warehouse is busy or a setting is wrong."""
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
