"""`tpn dq`: the data-quality review of an RSSB week for an operator: the district ×
dimension scorecard, the flagged values with their context, and each district email's line.
The same review (tpn_metrics.quality.review.week_review) feeds the report and the emails."""

from __future__ import annotations

from typing import Annotated

import typer

from tpn_metrics.cli.output import console
from tpn_metrics.cli.params import (
    ReportWeek,
    as_date,
    district_id,
    usage_error,
    warehouse_or_exit,
)
from tpn_metrics.settings import Settings

STATUS_MARKS = {"ok": "ok", "flagged": "FLAGGED", "not_applicable": "n/a"}


def optional_district_id(name: str | None) -> str | None:
    """The district id ``--district`` names (see :func:`params.district_id`), None if absent."""
    return None if name is None else district_id(name)


def dq(
    district: Annotated[
        str | None,
        typer.Option(
            callback=optional_district_id, help="Only this district (name or id, e.g. Gasabo)"
        ),
    ] = None,
    week: ReportWeek = None,
) -> None:
    """Print the data-quality review of an RSSB week: scorecard, flagged values, email lines."""
    from rich.table import Table

    from tpn_metrics.emails.quality_line import data_quality_line, unusual_value_text
    from tpn_metrics.quality.marts import has_quality_marts, report_dates
    from tpn_metrics.quality.records import DIMENSION_TITLES, Dimension
    from tpn_metrics.quality.review import week_review
    from tpn_metrics.warehouse import open_warehouse

    settings = Settings()
    warehouse_or_exit(settings)
    day = as_date(week)
    with open_warehouse(settings.warehouse_path, read_only=True) as con:
        if not has_quality_marts(con):
            usage_error(f"no data-quality marts in {settings.warehouse_path} yet: run `tpn build`")
        dates = report_dates(con)
        if not dates:
            usage_error("the data-quality marts are empty: `tpn ingest` an RSSB update, then build")
        if day is not None and day not in dates:
            nearest = sorted(dates, key=lambda d: (abs((d - day).days), d))[:2]
            usage_error(
                f"--week {day}: no RSSB report for that date; nearest reviewed: "
                f"{', '.join(map(str, sorted(nearest)))} (weeks {dates[0]} to {dates[-1]})"
            )
        review = week_review(con, day or dates[-1], district)
    if district is not None and not review.districts:
        usage_error(f"--district {district}: no row for it in the review of {review.report_date}")
    in_file = "–" if review.districts_in_file is None else review.districts_in_file
    console.print(
        f"RSSB report of {review.report_date}: {in_file} of {review.expected_districts} "
        f"districts in the file, {len(review.flags)} flagged value(s)"
    )
    table = Table("district", *(DIMENSION_TITLES[d] for d in Dimension))
    for quality in review.districts:
        cells = (quality.cell(d) for d in Dimension)
        table.add_row(
            quality.district_name,
            *(
                f"{STATUS_MARKS[c.status]} ({c.flags})" if c.flags else STATUS_MARKS[c.status]
                for c in cells
            ),
        )
    console.print(table)
    names = {q.district_id: q.district_name for q in review.districts}
    for flag in review.flags:
        where = names.get(flag.district_id or "", flag.district_id)
        console.print(
            f"{where} · {DIMENSION_TITLES[flag.dimension]}: {unusual_value_text(flag)}. "
            f"{flag.detail}",
            highlight=False,
        )
    for quality in review.districts:
        console.print(f"{quality.district_name}: {data_quality_line(quality)}", highlight=False)
    for flag in review.accreditation_flags:
        console.print(
            f"accreditation {flag.survey_year} {flag.hospital_id or ''}: {flag.detail}",
            highlight=False,
        )
