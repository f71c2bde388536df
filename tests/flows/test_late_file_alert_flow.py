"""The late-file-alert flow: the deployment's entrypoint, through Prefect."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from tpn_metrics.settings import ConfigurationError, Settings
from tpn_metrics.warehouse import ensure_landing_schema, open_warehouse

pytestmark = pytest.mark.slow


@pytest.fixture
def one_week(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    for name in ("TPN_SMTP_HOST", "TPN_RECIPIENTS", "TPN_RSSB_DEADLINE"):
        monkeypatch.delenv(name, raising=False)
    settings = Settings(home=tmp_path / "home")
    settings.warehouse_path.parent.mkdir(parents=True)
    with open_warehouse(settings.warehouse_path) as con:
        ensure_landing_schema(con)
        con.execute(
            "insert into landing.file_ledger (file_sha256, file_name, kind, received_at, status, "
            "reason, warnings, row_count, period_key, superseded_by, stored_path) values "
            "('sha', 'rssb.csv', 'rssb_weekly', "
            "timestamp '2023-03-24 18:00', 'loaded', null, null, 30, '2023-03-24', null, 'x')"
        )
    return settings


def test_the_flow_alerts_once_per_missing_week(prefect_harness: None, one_week: Settings):
    from flows.late_file_alert import late_file_alert

    now = dt.datetime(2023, 4, 1, 11, tzinfo=dt.UTC)
    report = late_file_alert(home=str(one_week.home), now=now)
    assert [str(w.report_date) for w in report.alerted] == ["2023-03-31"]
    again = late_file_alert(home=str(one_week.home), now=now)
    assert again.alerted == ()
    assert len(list((one_week.outbox_dir / "alerts").glob("*.eml"))) == 1


def test_an_unreadable_deadline_fails_the_flow_first(
    prefect_harness: None, one_week: Settings, monkeypatch: pytest.MonkeyPatch
):
    from flows.late_file_alert import late_file_alert

    monkeypatch.setenv("TPN_RSSB_DEADLINE", "Saturday noon")
    state = late_file_alert(home=str(one_week.home), return_state=True)
    assert state.is_failed()
    error = state.result(raise_on_failure=False)
    assert isinstance(error, ConfigurationError)
    assert "TPN_RSSB_DEADLINE='Saturday noon'" in str(error)
    assert not (one_week.outbox_dir / "alerts").exists()
