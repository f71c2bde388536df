"""The data-quality alert: one message per flagged week to the data team (outbox or real
SMTP), never twice; nothing for a clean week or without the marts."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from tests.emails.support import Recorder, data_team_smtp
from tests.tpn_metrics.quality.dq_marts import EARLIER_WEEK, WEEK, build_dq_marts
from tpn_metrics.emails.eml import read_eml
from tpn_metrics.emails.quality_alert import check_data_quality
from tpn_metrics.settings import Settings

NOW = dt.datetime(2023, 3, 25, 14, tzinfo=dt.UTC)


@pytest.fixture
def no_smtp(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("TPN_SMTP_HOST", "TPN_RECIPIENTS"):
        monkeypatch.delenv(name, raising=False)


def _warehouse(settings: Settings) -> None:
    settings.warehouse_path.parent.mkdir(parents=True, exist_ok=True)
    build_dq_marts(settings.warehouse_path)


def _alerts(settings: Settings) -> list[Path]:
    return sorted((settings.outbox_dir / "alerts").glob("*.eml"))


def test_no_warehouse_no_alert(settings: Settings, no_smtp: None):
    report = check_data_quality(settings, now=NOW)
    assert report.delivered is None and not settings.warehouse_path.exists()


def test_one_alert_per_week_to_the_outbox(settings: Settings, no_smtp: None):
    settings = Settings(home=settings.home)
    _warehouse(settings)
    report = check_data_quality(settings, now=NOW)
    assert report.report_date == WEEK and report.flags == 3
    assert report.delivered is not None and report.delivered.startswith("written to")
    [path] = _alerts(settings)
    message = read_eml(path)
    assert (
        message["Subject"] == "TPN: data quality of RSSB's report of 2023-03-24: 3 flagged value(s)"
    )
    body = message.get_content()
    assert "Gasabo · Outliers: members paid rose by 41,200 (usual weekly rise about 3,000)" in body
    assert "Kicukiro · Timeliness" in body and "tpn dq --week 2023-03-24" in body
    again = check_data_quality(settings, now=NOW + dt.timedelta(hours=1))
    assert again.flags == 3 and again.delivered is None and len(_alerts(settings)) == 1
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        rows = con.execute("select report_date, flags from ops.data_quality_alerts").fetchall()
    assert rows == [(WEEK, 3)]


def test_a_clean_week_sends_nothing(settings: Settings, no_smtp: None):
    settings = Settings(home=settings.home)
    _warehouse(settings)
    report = check_data_quality(settings, report_date=EARLIER_WEEK, now=NOW)
    assert report.flags == 0 and report.delivered is None and _alerts(settings) == []


@pytest.fixture
def smtp_server(monkeypatch: pytest.MonkeyPatch) -> Iterator[Recorder]:
    with data_team_smtp(monkeypatch) as recorder:
        yield recorder


def test_the_alert_goes_over_smtp_when_it_is_set(settings: Settings, smtp_server: Recorder):
    settings = Settings(home=settings.home)
    _warehouse(settings)
    report = check_data_quality(settings, now=NOW)
    assert report.delivered is not None and report.delivered.startswith("emailed to")
    [received] = smtp_server.received
    assert "3 flagged value(s)" in received.message["Subject"]
    assert _alerts(settings) == []
    check_data_quality(settings, now=NOW)
    assert len(smtp_server.received) == 1


def test_a_finding_shared_by_districts_is_listed_once(settings: Settings, no_smtp: None):
    settings = Settings(home=settings.home)
    _warehouse(settings)
    with duckdb.connect(str(settings.warehouse_path)) as con:  # Gasabo late like Kicukiro
        con.execute(
            "insert into marts.fct_dq_flags select 'f5', source, 'gasabo', hospital_id, "
            "report_date, survey_year, dimension, measure, observed_value, expected_value, "
            "unit, detail from marts.fct_dq_flags where flag_id = 'f2'"
        )
    check_data_quality(settings, now=NOW)
    [path] = _alerts(settings)
    body = read_eml(path).get_content()
    assert "flagged 4 value(s)" in body
    assert "  2 districts · Timeliness: delivered 2.5 days after the Friday" in body
    assert "    (Gasabo, Kicukiro)" in body
    assert body.count("The file was delivered 2.5 days after the Friday it reports.") == 1


def test_a_standing_finding_alerts_the_week_it_appears_not_every_week(
    settings: Settings, no_smtp: None
):
    """Kicukiro's late file was flagged the week before too: only the two values this
    delivery newly broke are alerted; the standing one is counted, not repeated."""
    settings = Settings(home=settings.home)
    _warehouse(settings)
    with duckdb.connect(str(settings.warehouse_path)) as con:
        con.execute(
            "insert into marts.fct_dq_flags values ('f0', 'rssb_weekly', 'kicukiro', null, ?, "
            "null, 'timeliness', 'late_file', 3.0, 1.0, 'days', 'Delivered 3.0 days after.')",
            [EARLIER_WEEK],
        )
    report = check_data_quality(settings, now=NOW)
    assert report.report_date == WEEK and report.flags == 2
    body = read_eml(_alerts(settings)[0]).get_content()
    assert "Kicukiro · Timeliness" not in body and "Gasabo · Outliers" in body
    assert "1 standing finding(s) flagged the week before too" in body
