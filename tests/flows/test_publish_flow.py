"""The publish flow retries a lost connection and nothing else (the real publish to
PostgreSQL runs in test_backfill_flow.py, on the backfilled warehouse)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from tpn_metrics.publish import PublishReport

pytestmark = pytest.mark.slow


class FakePublish:
    """Stands in for tpn_metrics.publish.sql_publish.publish: raises the given errors in
    turn, then succeeds."""

    def __init__(self, *errors: BaseException) -> None:
        self.errors = list(errors)
        self.calls = 0

    def __call__(self, url: str, settings: Any) -> PublishReport:
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        return PublishReport(
            "postgresql+psycopg://x@db/tpn",
            {"marts.dim_district": 30},
            dt.datetime.now(dt.UTC),
            0.1,
            "copy",
        )


@pytest.fixture
def quick_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    import flows.publish

    monkeypatch.setattr(
        flows.publish,
        "publish_tables",
        flows.publish.publish_tables.with_options(retry_delay_seconds=0, retry_jitter_factor=None),
    )
    monkeypatch.delenv("TPN_SMTP_HOST", raising=False)


def _run(monkeypatch: pytest.MonkeyPatch, fake: FakePublish, home: Path) -> Any:
    from flows.publish import publish
    from tpn_metrics.publish import sql_publish

    monkeypatch.setattr(sql_publish, "publish", fake)
    return publish(url="postgresql://x:pw@db/tpn", home=str(home), return_state=True)


def test_a_lost_connection_is_retried_until_the_publish_goes_through(
    prefect_harness: None, quick_retries: None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
):
    fake = FakePublish(ConnectionResetError("connection reset by peer"), TimeoutError("slow"))
    state = _run(monkeypatch, fake, tmp_path / "home")

    assert state.is_completed(), state.message
    assert fake.calls == 3
    assert state.result().tables == {"marts.dim_district": 30}


def test_any_other_error_fails_at_once_with_a_notice(
    prefect_harness: None, quick_retries: None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
):
    home = tmp_path / "home"
    fake = FakePublish(ValueError("nothing to publish: no tables in schemas marts"))
    state = _run(monkeypatch, fake, home)

    assert state.is_failed()
    assert fake.calls == 1
    [notice] = (home / "outbox" / "failures").glob("*.eml")
    text = notice.read_text()
    assert "nothing to publish" in text
    assert "pw@" not in text


def test_without_a_url_the_flow_says_where_to_set_one(
    prefect_harness: None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
):
    from flows.publish import publish

    monkeypatch.delenv("TPN_PUBLISH_URL", raising=False)
    monkeypatch.delenv("TPN_SMTP_HOST", raising=False)
    state = publish(home=str(tmp_path / "home"), return_state=True)

    assert state.is_failed()
    assert "TPN_PUBLISH_URL" in str(state.message)
