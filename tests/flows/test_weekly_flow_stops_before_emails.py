"""A failing dbt test stops the Friday run before any district email goes out."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pytest

from tpn_metrics.ingest.intake import ingest_paths
from tpn_metrics.settings import Settings

pytestmark = pytest.mark.slow


def test_dbt_failure_fails_the_run_and_sends_nothing(
    prefect_harness: None, tmp_path: Path, fixtures: Path
):
    from flows.weekly_cbhi import weekly_cbhi

    settings = Settings(home=tmp_path / "home")
    good = fixtures / "ingest/good/rssb_2023-03-24_canonical.csv"
    assert ingest_paths([good], settings, today=dt.date(2026, 11, 23))[0].status == "loaded"
    # A second current row for Gasabo's week, as if two files were both live: dbt's uniqueness
    # test on staging must catch it.
    con = duckdb.connect(str(settings.warehouse_path))
    con.execute(
        """
        insert into landing.rssb_weekly
        select 'another-file', report_date, district_id, district_name_received,
            target_population, members_paid + 1, households_paid, amount_collected_rwf,
            coverage_rate_pct, loaded_at, false
        from landing.rssb_weekly where district_id = 'gasabo'
        """
    )
    con.close()
    drop = tmp_path / "drop"
    drop.mkdir()

    state = weekly_cbhi(
        drop_folder=str(drop), home=str(settings.home), n_resamples=200, return_state=True
    )

    assert state.is_failed()
    assert "unique" in (state.message or "") or "dbt" in (state.message or "").lower()
    district_emails = [
        p for p in settings.outbox_dir.glob("*/*.eml") if p.parent.name != "failures"
    ]
    assert not district_emails, "no district email after a failed build"
    notices = list((settings.outbox_dir / "failures").glob("*.eml"))
    assert len(notices) == 1
    con = duckdb.connect(str(settings.warehouse_path), read_only=True)
    tables = {
        row[0]
        for row in con.execute(
            "select table_name from information_schema.tables where table_schema = 'ops'"
        ).fetchall()
    }
    if "email_deliveries" in tables:
        assert con.execute("select count(*) from ops.email_deliveries").fetchone() == (0,)
    con.close()
