"""`tpn quarantine …`: what was refused and why, and `dismiss` (the group is added to the app
by tpn_metrics/cli/__init__.py).

Exit codes: 0 nothing in quarantine; 2 bad usage (unknown SHA, wrong state); 3 files are in
quarantine. The warehouse modules are imported inside the commands so `tpn --help` stays fast.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import typer

from tpn_metrics.cli.output import EXIT_QUARANTINED, console
from tpn_metrics.settings import Settings

app = typer.Typer(
    help="What was refused, and why (exit 3 when anything is in quarantine); "
    "`dismiss` a file dropped by mistake.",
    invoke_without_command=True,
    add_completion=False,
)


@app.callback()
def quarantine(ctx: typer.Context) -> None:
    """What was refused, and why (exit 3 when anything is in quarantine)."""
    from tpn_metrics.ingest.housekeeping import files_with_status
    from tpn_metrics.ingest.vocabulary import REFUSED_STATUSES, FileStatus

    if ctx.invoked_subcommand is not None:
        return
    settings = Settings()
    refused = files_with_status(settings, REFUSED_STATUSES)
    dismissed = len(files_with_status(settings, (FileStatus.DISMISSED,)))
    note = f"{dismissed} dismissed file(s): see `tpn ledger`" if dismissed else ""
    if not refused:
        console.print(f"quarantine is empty ({note})" if note else "quarantine is empty")
        return
    for found in refused:
        console.print(
            f"[red]{found.status}[/red] {found.file_name} ({found.kind}, "
            f"{found.file_sha256[:12]}): {found.reason}"
        )
    if note:
        console.print(note)
    console.print(
        "fixed on our side? `tpn ingest --replay SHA`; dropped by mistake? "
        "`tpn quarantine dismiss SHA --reason TEXT`"
    )
    raise typer.Exit(EXIT_QUARANTINED)


@app.command("dismiss")
def quarantine_dismiss(
    sha: Annotated[str, typer.Argument(help="SHA-256 of the file, or a unique prefix of it")],
    reason: Annotated[str, typer.Option("--reason", help="Why it is dismissed (kept on record)")],
) -> None:
    """Dismiss a quarantined or crashed file: it stays on record, status `dismissed`, and is
    no longer warned about."""
    from tpn_metrics.ingest.housekeeping import LedgerLookupError, dismiss

    settings = Settings()
    if not settings.warehouse_path.exists():
        console.print("[red]no warehouse yet: nothing has been received")
        raise typer.Exit(2)
    try:
        found = dismiss(settings, sha, reason, now=dt.datetime.now(dt.UTC))
    except LedgerLookupError as error:
        console.print(f"[red]{error}")
        raise typer.Exit(2) from error
    console.print(f"dismissed {found.file_name} ({found.file_sha256[:12]}): {reason.strip()}")
