"""`tpn twinning …`: the twinning sub-commands (the group is added to the app by
tpn_metrics/cli/__init__.py).

Heavy modules (pandas, scipy, matplotlib) are imported inside the command, so that
`tpn --help` stays fast.
"""

from __future__ import annotations

import math
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

from tpn_metrics.settings import Settings

if TYPE_CHECKING:
    from tpn_metrics.twinning.warehouse import TwinningRun

app = typer.Typer(
    help="Twinning network: rising/shining institutions and partner recommendations.",
    no_args_is_help=True,
    add_completion=False,
)
console = Console(width=None if sys.stdout.isatty() else 160)


@app.callback()
def twinning() -> None:
    """Twinning network: rising/shining institutions and partner recommendations."""
    # A callback keeps `twinning` a command group even while it has a single command.


def _number(value: object) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return f"{float(value):,.1f}"  # type: ignore[arg-type]


def _recommendation_table(run: TwinningRun) -> Table:
    table = Table(title="Recommended twinning pairs (shining teaches rising)")
    for column, justify in (
        ("topic", "left"),
        ("metric", "left"),
        ("rising", "left"),
        ("value", "right"),
        ("shining", "left"),
        ("value", "right"),
        ("gap", "right"),
        ("peer group", "left"),
        ("distance", "left"),
    ):
        table.add_column(column, justify=justify)  # type: ignore[arg-type]
    for row in run.result.recommendations.itertuples():
        if row.is_matched:
            table.add_row(
                row.topic,
                row.metric,
                row.rising_institution_name,
                _number(row.rising_value),
                row.shining_institution_name,
                _number(row.shining_value),
                _number(row.gap),
                "same" if row.same_peer_group else "other",
                str(row.distance_class).replace("_", " "),
            )
        else:
            table.add_row(
                row.topic,
                row.metric,
                row.rising_institution_name,
                _number(row.rising_value),
                "[red]unmatched",
                "",
                "",
                "",
                str(row.reason).removeprefix("unmatched: ")[:80],
            )
    return table


def _comparison_table(run: TwinningRun) -> Table:
    table = Table(title="Workshop pairs vs recommendations (gaps in the metric's unit)")
    for column in (
        "topic",
        "metric",
        "chosen",
        "shining worse now",
        "… at launch",
        "mean gap chosen",
        "recommended",
        "unmatched",
        "mean gap ours",
        "agree",
    ):
        table.add_column(column, justify="left" if column in ("topic", "metric") else "right")
    for row in run.result.summary.itertuples():
        table.add_row(
            row.topic,
            row.metric,
            str(row.chosen_pairs),
            f"{row.chosen_shining_worse}/{row.chosen_pairs_measured}",
            f"{row.chosen_shining_worse_at_launch}/{row.chosen_pairs_measured_at_launch}",
            _number(row.chosen_mean_gap),
            str(row.recommended_pairs),
            str(row.unmatched_rising),
            _number(row.recommended_mean_gap),
            str(row.agreement),
        )
    return table


@app.command()
def recommend(
    topic: Annotated[
        list[str] | None,
        typer.Option(help="Only this topic (repeatable); default: every topic with a metric"),
    ] = None,
    capacity: Annotated[
        int, typer.Option(min=1, help="Most rising institutions one shining institution hosts")
    ] = 2,
    topics_file: Annotated[
        Path | None,
        typer.Option(help="Topic metrics YAML (default: tpn_metrics/twinning/topics.yaml)"),
    ] = None,
) -> None:
    """Classify institutions, recommend partners, write the twinning tables, draw the network."""
    from tpn_metrics.snapshot import writing_for_analysts
    from tpn_metrics.twinning.compute import TwinningConfig
    from tpn_metrics.twinning.topics import load_topic_metrics, select_topics
    from tpn_metrics.twinning.warehouse import (
        TwinningSchemaError,
        WarehouseNotBuiltError,
        run_twinning,
    )

    settings = Settings()
    try:
        metrics = load_topic_metrics(topics_file) if topics_file else load_topic_metrics()
        select_topics(metrics, topic)
    except (OSError, ValueError) as error:
        console.print(f"[red]{error}", soft_wrap=True)
        raise typer.Exit(2) from error
    try:
        with writing_for_analysts(settings) as con:  # twinning.* reach the snapshot
            run = run_twinning(
                con,
                reports_dir=settings.reports_dir,
                topics=topic,
                metrics=metrics,
                config=TwinningConfig(capacity=capacity),
            )
    except WarehouseNotBuiltError as error:  # nothing to run on yet: a usage error
        console.print(f"[red]{error}", soft_wrap=True)
        raise typer.Exit(2) from error
    except TwinningSchemaError as error:
        console.print(f"[red]{error}", soft_wrap=True)
        raise typer.Exit(1) from error
    console.print(_recommendation_table(run))
    console.print(_comparison_table(run))
    for name, rows in run.table_rows.items():
        console.print(f"{name}: {rows} rows written")
    console.print(f"network picture: {run.png_path}", soft_wrap=True)
