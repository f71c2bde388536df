"""`tpn sample`, `tpn ingest`, `tpn ingest-payments`, `tpn ledger`: files in, and what became
of them. Registered on the app by tpn_metrics/cli/__init__.py."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from tpn_metrics.cli.output import EXIT_QUARANTINED, Seed, console
from tpn_metrics.ingest.vocabulary import FileStatus
from tpn_metrics.settings import Settings

if TYPE_CHECKING:
    from collections.abc import Iterable

    from tpn_metrics.ingest.intake import IngestOutcome


def _outcome_table(outcomes: Iterable[IngestOutcome]) -> Table:
    table = Table(title="Files")
    for column in ("file", "kind", "status", "rows", "detail"):
        table.add_column(column)
    for o in outcomes:
        detail = o.reason or "; ".join(o.warnings) or (o.period_key or "")
        if o.sheet and o.status == FileStatus.LOADED:
            detail = f"sheet '{o.sheet}'; {detail}"
        style = {
            FileStatus.QUARANTINED: "red",
            FileStatus.CRASHED: "red bold",
            FileStatus.DUPLICATE: "dim",
        }.get(FileStatus(o.status))
        table.add_row(o.file_name, o.kind, o.status, str(o.rows), detail[:160], style=style)
    return table


def sample(
    out: Annotated[
        Path, typer.Option(file_okay=False, help="Folder to write the sample files into")
    ] = Path("sample_data"),
    seed: Seed = 2024,
) -> None:
    """Generate the synthetic input files (RSSB weekly, accreditation, registry, DHIS2)."""
    from tpn_metrics.sample import generate_sample

    manifest = generate_sample(out, seed)
    console.print(f"wrote {len(manifest.files)} files to {out} (manifest: {out / 'manifest.json'})")
    for anomaly in manifest.anomalies:
        console.print(f"injected ({anomaly.dimension}): {anomaly.detail}")
    for topic in manifest.service_topics:
        achieved = "not yet written" if topic.achieved is None else f"{topic.achieved:+.2f}"
        console.print(
            f"DHIS2 {topic.item_code} ({topic.level}s): focus effect {topic.effect:+g} "
            f"{topic.effect_unit}, files give {achieved} ({len(topic.focus)} in focus)"
        )


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
    console.print(_outcome_table(summary.outcomes))
    console.print(f"ledger: {settings.warehouse_path} (tpn ledger / tpn quarantine)")
    docs = data_docs_index(settings)
    if docs.exists():
        console.print(f"validation results: {docs.as_uri()}")
    if summary.refused:
        raise typer.Exit(EXIT_QUARANTINED)


def ingest_payments(
    path: Annotated[Path, typer.Argument(help="A payments extract (CSV)")],
) -> None:
    """Load a household payments extract, pseudonymised on arrival (TPN_PSEUDONYM_SALT)."""
    from tpn_metrics.ingest import payments
    from tpn_metrics.ingest.errors import FileRejectedError

    if not path.is_file():
        console.print(f"[red]no such file: {path}")
        raise typer.Exit(2)
    try:
        outcome = payments.ingest_payments(path, Settings())
    except RuntimeError as error:
        console.print(f"[red]{error}")
        raise typer.Exit(2) from error
    except FileRejectedError as error:
        console.print(f"[red]refused: {error}")
        raise typer.Exit(EXIT_QUARANTINED) from error
    if outcome.status == FileStatus.QUARANTINED:
        console.print(f"[red]quarantined {outcome.file_name}: {outcome.reason}")
        raise typer.Exit(EXIT_QUARANTINED)
    console.print(
        f"{outcome.status} {outcome.file_name}: {outcome.rows:,} payments "
        f"({outcome.already_received:,} already received), {outcome.period_key or ''}"
    )


def ledger() -> None:
    """What arrived and what happened to it."""
    from tpn_metrics.ingest.landing import LedgerLine, ledger_lines
    from tpn_metrics.warehouse import open_warehouse

    settings = Settings()
    lines: list[LedgerLine] = []
    if settings.warehouse_path.exists():
        with open_warehouse(settings.warehouse_path, read_only=True) as con:
            lines = ledger_lines(con)
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
    for line in lines:
        cells = (
            line.file_name,
            line.kind,
            line.status,
            line.period_key,
            line.row_count,
            line.received_at,
            line.detail,
            line.sha256_prefix,
        )
        table.add_row(*[("" if v is None else str(v))[:120] for v in cells])
    console.print(table)
