"""The late-file alert: one message per missing RSSB week, through the data-team path."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.emails.support import Recorder, data_team_smtp
from tpn_metrics.emails.eml import read_eml
from tpn_metrics.emails.late_alert import check_late_files
from tpn_metrics.emails.recipients import load_recipients
from tpn_metrics.settings import Settings
from tpn_metrics.warehouse import ensure_landing_schema, open_warehouse


def _utc(*parts: int) -> dt.datetime:
    return dt.datetime(*parts, tzinfo=dt.UTC)


def _ledger(settings: Settings, rows: list[tuple[str, str, dt.datetime]]) -> None:
    """Ledger rows as ingestion writes them: (report date, status, received_at UTC)."""
    settings.warehouse_path.parent.mkdir(parents=True, exist_ok=True)
    with open_warehouse(settings.warehouse_path) as con:
        ensure_landing_schema(con)
        for number, (report_date, status, received_at) in enumerate(rows):
            con.execute(
                "insert into landing.file_ledger (file_sha256, file_name, kind, received_at, "
                "status, reason, warnings, row_count, period_key, superseded_by, stored_path) "
                "values "
                "(?, ?, 'rssb_weekly', ?, ?, null, null, 30, ?, null, 'x')",
                [f"sha{number}", f"rssb_{report_date}.csv", received_at, status, report_date],
            )


@pytest.fixture
def no_smtp(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("TPN_SMTP_HOST", "TPN_RECIPIENTS", "TPN_RSSB_DEADLINE"):
        monkeypatch.delenv(name, raising=False)


def _alerts(settings: Settings) -> list[Path]:
    return sorted((settings.outbox_dir / "alerts").glob("*.eml"))


def test_no_warehouse_yet_means_no_alert_and_no_file_created(settings: Settings, no_smtp: None):
    report = check_late_files(settings, now=_utc(2023, 4, 15))
    assert report.alerted == () and report.delivered is None
    assert not settings.warehouse_path.exists()


def test_one_alert_per_missing_week_to_the_outbox(settings: Settings, no_smtp: None):
    _ledger(
        settings,
        [
            ("2023-03-24", "loaded", dt.datetime(2023, 3, 24, 18)),
            ("2023-03-31", "quarantined", dt.datetime(2023, 3, 31, 18)),  # refused: not received
        ],
    )
    before = check_late_files(settings, now=_utc(2023, 4, 1, 9, 59))
    assert before.alerted == () and _alerts(settings) == []  # 31 March due at 10:00 UTC

    first = check_late_files(settings, now=_utc(2023, 4, 1, 10, 1))
    assert [w.report_date for w in first.alerted] == [dt.date(2023, 3, 31)]
    [path] = _alerts(settings)
    message = read_eml(path)
    data_team = load_recipients(settings.recipients_file).data_team
    assert tuple(message["To"].split(", ")) == data_team
    assert message["Subject"] == "TPN: RSSB file late for 2023-03-31"
    text = message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "2023-03-31 (Friday), due 2023-04-01 10:00 UTC" in text
    assert "Saturday 12:00 Africa/Kigali" in text

    again = check_late_files(settings, now=_utc(2023, 4, 3))
    assert again.alerted == () and len(again.missing) == 1
    assert len(_alerts(settings)) == 1  # never twice for the same week

    later = check_late_files(settings, now=_utc(2023, 4, 8, 10, 1))
    assert [w.report_date for w in later.alerted] == [dt.date(2023, 4, 7)]
    assert len(_alerts(settings)) == 2


def test_the_configured_deadline_moves_the_alert(
    settings: Settings, no_smtp: None, monkeypatch: pytest.MonkeyPatch
):
    _ledger(settings, [("2023-03-24", "loaded", dt.datetime(2023, 3, 24, 18))])
    monkeypatch.setenv("TPN_RSSB_DEADLINE", "Monday 09:00")
    settings = Settings(home=settings.home)  # settings are read when built
    assert check_late_files(settings, now=_utc(2023, 4, 1, 10, 1)).alerted == ()
    report = check_late_files(settings, now=_utc(2023, 4, 3, 7, 1))
    assert [w.report_date for w in report.alerted] == [dt.date(2023, 3, 31)]


@pytest.fixture
def smtp_server(monkeypatch: pytest.MonkeyPatch) -> Iterator[Recorder]:
    with data_team_smtp(monkeypatch, "TPN_RSSB_DEADLINE") as recorder:
        yield recorder


def test_the_alert_goes_over_smtp_when_it_is_set(settings: Settings, smtp_server: Recorder):
    settings = Settings(home=settings.home)  # read after the fixture set TPN_SMTP_*
    _ledger(settings, [("2023-03-24", "loaded", dt.datetime(2023, 3, 24, 18))])
    report = check_late_files(settings, now=_utc(2023, 4, 15, 12))
    assert [str(w.report_date) for w in report.alerted] == [
        "2023-03-31",
        "2023-04-07",
        "2023-04-14",
    ]
    [received] = smtp_server.received
    assert received.message["Subject"] == "TPN: RSSB files late for 3 weeks (latest 2023-04-14)"
    assert _alerts(settings) == []
    assert check_late_files(settings, now=_utc(2023, 4, 15, 13)).alerted == ()
    assert len(smtp_server.received) == 1


def test_a_long_gap_lists_the_latest_weeks(settings: Settings, no_smtp: None):
    _ledger(settings, [("2023-03-24", "loaded", dt.datetime(2023, 3, 24, 18))])
    report = check_late_files(settings, now=_utc(2024, 12, 31))
    assert len(report.alerted) == 92  # 31 March 2023 to 27 December 2024
    [path] = _alerts(settings)
    text = read_eml(path).get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "... 32 earlier weeks, then:" in text
    assert "2024-12-27 (Friday)" in text
    assert "2023-03-31 (Friday)" not in text
