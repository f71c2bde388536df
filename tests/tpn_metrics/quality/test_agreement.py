"""The report's section, the district email and `tpn dq` show the same figures: all three
come from one review (tpn_metrics.quality.review.week_review) and one wording
(tpn_metrics.emails.quality_line)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from tests.tpn_metrics.emails.sample_week import make_week
from tests.tpn_metrics.quality.dq_marts import WEEK, build_dq_marts
from tpn_metrics.cli import app
from tpn_metrics.emails.content import render_district_email
from tpn_metrics.quality.review import district_qualities
from tpn_metrics.reports.data_quality import data_quality_section

SPIKE_LINE = (
    "Your data this week: on time, complete, one unusual value: members paid rose by 41,200 "
    "(usual weekly rise about 3,000)"
)
LATE_LINE = (
    "Your data this week: late (2.5 days after the Friday), complete, one unusual value: "
    "RSSB's coverage rate 83.2%, members paid ÷ target 80.0%"
)


def test_report_email_and_cli_agree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("TPN_HOME", str(tmp_path))
    (tmp_path / "warehouse").mkdir()
    path = build_dq_marts(tmp_path / "warehouse" / "tpn.duckdb")
    with duckdb.connect(str(path), read_only=True) as con:
        report = " ".join(data_quality_section(con).markdown.split())
        qualities = district_qualities(con, WEEK)  # what district_weeks gives each email
    cli = CliRunner().invoke(app, ["dq"], terminal_width=300)
    assert cli.exit_code == 0, cli.output
    printed = " ".join(cli.output.split())
    for district, line in (("gasabo", SPIKE_LINE), ("kicukiro", LATE_LINE)):
        week = replace(make_week(), district_id=district, data_quality=qualities[district])
        message = render_district_email(week, recipients=["t@example.org"], sender="s@example.org")
        text = " ".join(str(message.get_body(("plain",)).get_content()).split())  # type: ignore[union-attr]
        name = qualities[district].district_name
        assert line in text
        assert f"{name}: {line}" in report
        assert f"{name}: {line}" in printed
    for figure in ("41,200", "3,000", "83.2%", "80.0%"):
        assert figure in report and figure in printed
