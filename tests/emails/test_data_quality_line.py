"""On a real warehouse (dbt-built data-quality marts), every district's email carries the
data-quality line of its own review: the one `tpn dq` and the report show."""

from __future__ import annotations

from tpn_metrics.emails.content import render_district_email
from tpn_metrics.emails.district_figures import district_weeks, latest_report_date
from tpn_metrics.emails.quality_line import data_quality_line
from tpn_metrics.quality.review import week_review
from tpn_metrics.settings import Settings
from tpn_metrics.warehouse import open_warehouse

from .support import text_parts


def test_every_email_carries_its_districts_line(settings: Settings) -> None:
    with open_warehouse(settings.warehouse_path, read_only=True) as con:
        day = latest_report_date(con)
        assert day is not None
        weeks = district_weeks(con, day)
        review = week_review(con, day)
    assert len(weeks) == len(review.districts) == 30
    for week in weeks:
        quality = review.district(week.district_id)
        assert week.data_quality == quality and quality is not None
        message = render_district_email(week, recipients=["t@example.org"], sender="s@example.org")
        plain, html = text_parts(message)
        line = data_quality_line(quality)
        assert line.startswith("Your data this week: ")
        assert line in plain and line in html.replace("&#39;", "'")
