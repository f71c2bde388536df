"""`tpn evaluate` and `tpn population`: the evaluation of the programme and the census
projections behind CBHI targets. Registered on the app by tpn_metrics/cli/__init__.py."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import typer
from rich.table import Table

from tpn_metrics.calendar import OTHER_SCHEME_SHARE_DEFAULT
from tpn_metrics.cli.output import Resamples, console
from tpn_metrics.cli.params import (
    DATE_FORMATS,
    marts_or_exit,
    projection_date,
    share_below_one,
    usage_error,
)
from tpn_metrics.settings import Settings


def evaluate(
    topic: Annotated[
        str | None,
        typer.Option(
            help="A topic of topics.yaml: accreditation, cbhi_enrollment or a DHIS2 topic "
            "such as anc_first_visit (default: every topic with data)"
        ),
    ] = None,
    start: Annotated[
        str | None,
        typer.Option(
            "--from",
            help="Baseline: a survey year (accreditation, 2021), a date (CBHI, 2021-03-23) "
            "or a month (DHIS2 topics, 2021-03)",
        ),
    ] = None,
    end: Annotated[
        str | None,
        typer.Option(
            "--to",
            help="Endline: a survey year (accreditation), a date (CBHI) or a month (DHIS2)",
        ),
    ] = None,
    resamples: Resamples = 10_000,
) -> None:
    """Refresh the evaluation tables and write the report (defaults: the paper's periods;
    DHIS2 topics: the launch month 2021-03 and 2023-03, or the latest month with data).

    Prints one headline per comparison: the effect the report recommends, its 95% interval and
    one-sided p-value. A period the warehouse does not hold exits 2 and writes nothing; on the
    default periods a topic without data is skipped and named.
    """
    from tpn_metrics.evaluation.headline import headline_text
    from tpn_metrics.evaluation.periods import PeriodError
    from tpn_metrics.evaluation.runner import ONE_TOPIC, evaluable_topics
    from tpn_metrics.stages import run_evaluation

    if (start or end) and topic is None:
        usage_error(ONE_TOPIC.replace("need one --topic", "need --topic"))
    try:
        topics = evaluable_topics()
    except (OSError, ValueError) as error:
        usage_error(f"topics.yaml: {error}")
    if topic is not None and topic not in topics:
        usage_error(
            f"no metric in the warehouse for topic '{topic}': use one of {', '.join(topics)}"
        )
    settings = Settings()
    marts_or_exit(settings)
    try:
        outputs = run_evaluation(
            settings,
            n_resamples=resamples,
            topics=(topic,) if topic else topics,
            start=start,
            end=end,
        )
    except PeriodError as error:
        usage_error(str(error))
    for line in outputs.headlines:
        typer.echo(headline_text(line))
    console.print(f"report: {outputs.html_path}")


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
    ] = OTHER_SCHEME_SHARE_DEFAULT,
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
