"""After the Friday run: copy the marts and evaluation tables to the analysts' PostgreSQL,
all tables or none, with a table of contents (tpn_catalog.tables).
"""

from __future__ import annotations

from pathlib import Path

from prefect import flow
from prefect.artifacts import create_markdown_artifact

from flows.failure_notice import notify_failure
from flows.tasks import publish_tables
from tpn_metrics.publish import PublishReport
from tpn_metrics.settings import ConfigurationError, Settings


def publish_markdown(report: PublishReport) -> str:
    """The publish's Markdown artifact: tables, rows, target and seconds, and what was dropped."""
    lines = [
        "# TPN publish",
        "",
        f"{len(report.tables)} tables, {report.total_rows:,} rows, to `{report.target}` in "
        f"{report.elapsed_seconds:.1f} s ({report.method}), one transaction.",
        "",
        "| table | rows |",
        "|---|---:|",
    ]
    lines += [f"| {name} | {rows:,} |" for name, rows in report.tables.items()]
    if report.dropped:
        lines += ["", "Dropped (no longer in the warehouse): " + ", ".join(report.dropped)]
    return "\n".join(lines) + "\n"


@flow(name="publish", on_failure=[notify_failure], on_crashed=[notify_failure])
def publish(url: str | None = None, home: str | None = None) -> PublishReport:
    """Publish schemas marts, evaluation (and twinning) to the database at ``url``.

    Parameters: url, a SQLAlchemy URL such as postgresql://tpn_publisher@analytics-db/tpn;
    when empty, TPN_PUBLISH_URL on the worker. Keep passwords out of parameters (Prefect
    stores them): use TPN_PUBLISH_URL, ~/.pgpass or PGPASSWORD. home, the TPN_HOME of the
    warehouse.
    """
    home = home or str(Settings().home)
    url = url or Settings(home=Path(home)).publish_url
    if not url:
        raise ConfigurationError(
            "nowhere to publish: set TPN_PUBLISH_URL on the worker (or pass url)"
        )
    report = publish_tables(home, url)
    create_markdown_artifact(
        key="tpn-publish",
        markdown=publish_markdown(report),
        description="Tables and rows published to the analysts' database",
    )
    return report
