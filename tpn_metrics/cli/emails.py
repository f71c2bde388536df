"""`tpn emails send|preview`: the weekly district progress emails. The group is added to the
app by tpn_metrics/cli/__init__.py."""

from __future__ import annotations

from typing import Annotated

import typer

from tpn_metrics.cli.output import console
from tpn_metrics.cli.params import ReportWeek, as_date, district_id, report_week_or_exit
from tpn_metrics.settings import Settings

app = typer.Typer(help="Weekly district progress emails.", no_args_is_help=True)


@app.command("send")
def emails_send(
    dry_run: Annotated[bool, typer.Option(help="Write .eml files to the outbox instead")] = False,
    week: ReportWeek = None,
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


@app.command("preview")
def emails_preview(
    district: Annotated[
        str,
        typer.Argument(
            callback=district_id, metavar="DISTRICT", help="District name or id, e.g. Gasabo"
        ),
    ],
    week: ReportWeek = None,
) -> None:
    """Write one district's email as HTML and print its path."""
    from tpn_metrics.emails.content import render_district_html
    from tpn_metrics.emails.district_figures import district_weeks
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
