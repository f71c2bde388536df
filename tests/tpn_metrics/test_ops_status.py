"""`tpn status`: last loads, freshness, pending emails and quarantine, from the warehouse."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from rich.console import Console

from tpn_metrics.emails.ledger import ensure_outbox
from tpn_metrics.ingest.intake import ingest_paths
from tpn_metrics.ops_status import collect_status, render_status
from tpn_metrics.settings import Settings
from tpn_metrics.warehouse import open_warehouse

TODAY = dt.date(2023, 4, 20)


def _text(status: object) -> str:
    console = Console(record=True, width=160)
    console.print(render_status(status))  # type: ignore[arg-type]
    return console.export_text()


def test_a_missing_warehouse_is_reported_not_raised(settings: Settings):
    status = collect_status(settings, today=TODAY)
    assert not status.exists
    assert not status.healthy
    assert "no warehouse" in _text(status)


@pytest.mark.slow
def test_status_reports_loads_freshness_emails_and_quarantine(settings: Settings, fixtures: Path):
    good, bad = fixtures / "ingest" / "good", fixtures / "ingest" / "bad"
    ingest_paths(
        [
            good / "registry",
            good / "rssb_2023-03-24_canonical.csv",
            good / "rssb_2023-03-31_semicolon_bom_aliases.csv",
            bad / "rssb_duplicate_district.csv",
            fixtures / "ingest" / "dhis2" / "analytics.json",
        ],
        settings,
        today=TODAY,
    )
    with open_warehouse(settings.warehouse_path) as con:
        ensure_outbox(con)
        con.execute(
            """
            insert into ops.email_deliveries (
                district_id, report_date, revision, channel, source_file_sha256, message_id,
                recipients, subject, is_correction, status, created_at, attempts, last_error
            ) values (
                'gasabo', date '2023-03-31', 1, 'smtp', 'sha', 'id', 'to', 'subject', false,
                'pending', now()::timestamp, 1, 'SMTPServerDisconnected'
            )
            """
        )

    status = collect_status(settings, today=TODAY)

    sources = {s.kind: s for s in status.sources}
    assert sources["rssb_weekly"].files_loaded == 2
    assert sources["rssb_weekly"].latest_period == "2023-03-31"
    assert sources["registry"].files_loaded == 1
    assert sources["accreditation"].files_loaded == 0
    assert (sources["dhis2"].files_loaded, sources["dhis2"].latest_period) == (1, "202303..202304")
    assert status.last_report_date == dt.date(2023, 3, 31)
    assert status.days_since_report == 20
    assert status.pending_emails == 1
    assert status.quarantined == 1
    # Files for 24 and 31 March; 7 and 14 April passed their Saturday-noon deadlines.
    assert [w.report_date for w in status.late_weeks] == [
        dt.date(2023, 4, 7),
        dt.date(2023, 4, 14),
    ]
    assert any("RSSB file late for 2 week(s)" in p for p in status.problems)
    assert any("quarantine" in p for p in status.problems)
    assert any("1 district email(s) pending" in p for p in status.problems)
    text = _text(status)
    assert "2023-03-31 (20 days ago)" in text
    assert "2: 2023-04-07, 2023-04-14" in text
    assert "rssb_weekly" in text


@pytest.mark.slow
def test_an_up_to_date_warehouse_is_all_well(settings: Settings, fixtures: Path):
    good = fixtures / "ingest" / "good"
    ingest_paths([good / "rssb_2023-03-24_canonical.csv"], settings, today=TODAY)

    status = collect_status(settings, today=dt.date(2023, 3, 27))

    assert status.healthy, status.problems
    assert status.pending_emails is None  # no email ever recorded
    assert "all well" in _text(status)
