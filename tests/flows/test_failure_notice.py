"""A failed run tells the data team: log, Markdown artifact, and an email (or an .eml file)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from uuid import UUID

import pytest
from prefect import flow

from flows.failure_notice import notify_failure
from tests.emails.support import Recorder, data_team_smtp
from tpn_metrics.emails.eml import read_eml
from tpn_metrics.emails.recipients import load_recipients
from tpn_metrics.settings import Settings

DATA_TEAM = load_recipients(Settings().recipients_file).data_team


@flow(name="doomed", on_failure=[notify_failure])
def doomed(home: str, url: str = "postgresql://publisher:s3cret@db.example.org/tpn") -> None:
    raise RuntimeError("the RSSB drop folder is empty")


@pytest.fixture
def no_smtp(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("TPN_SMTP_HOST", "TPN_RECIPIENTS"):
        monkeypatch.delenv(name, raising=False)


def _notices(home: Path) -> list[Path]:
    return sorted((home / "outbox" / "failures").glob("*.eml"))


def _artifact_markdown(flow_run_id: UUID) -> str:
    from tests.flows.prefect_api import artifacts_of

    [artifact] = artifacts_of(flow_run_id, "tpn-failure-notice")
    return str(artifact.data)


@pytest.mark.slow
def test_a_failed_run_writes_the_notice_to_the_outbox_without_smtp(
    prefect_harness: None, tmp_path: Path, no_smtp: None
):
    home = tmp_path / "home"
    state = doomed(home=str(home), return_state=True)

    assert state.is_failed()
    [path] = _notices(home)
    message = read_eml(path)
    assert tuple(message["To"].split(", ")) == DATA_TEAM
    assert "doomed" in message["Subject"]
    assert "RuntimeError: the RSSB drop folder is empty" in message["Subject"]
    body = message.get_body(("plain",))
    assert body is not None
    text = body.get_content()
    assert str(state.state_details.flow_run_id) in text
    assert "s3cret" not in text
    markdown = _artifact_markdown(state.state_details.flow_run_id)
    assert "the RSSB drop folder is empty" in markdown


@pytest.fixture
def smtp_server(monkeypatch: pytest.MonkeyPatch) -> Iterator[Recorder]:
    with data_team_smtp(monkeypatch) as recorder:
        yield recorder


@pytest.mark.slow
def test_a_failed_run_emails_the_data_team_over_smtp(
    prefect_harness: None, tmp_path: Path, smtp_server: Recorder
):
    home = tmp_path / "home"
    state = doomed(home=str(home), return_state=True)

    assert state.is_failed()
    [received] = smtp_server.received
    assert received.rcpt_tos == DATA_TEAM
    assert "the RSSB drop folder is empty" in received.message["Subject"]
    assert _notices(home) == []


@pytest.mark.slow
def test_annual_accreditation_without_its_drop_folder_fails_with_a_notice(
    prefect_harness: None, tmp_path: Path, no_smtp: None
):
    from flows.annual_accreditation import annual_accreditation

    home = tmp_path / "home"
    state = annual_accreditation(
        drop_folder=str(tmp_path / "no-such-folder"), home=str(home), return_state=True
    )

    assert state.is_failed()
    [path] = _notices(home)
    text = read_eml(path).get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "ConfigurationError" in text
    assert "TPN_MOH_DROP_FOLDER" in text  # the setting to fix


def test_refused_files_end_the_run_with_their_names_and_the_advice():
    from tpn_metrics.emails.failure_notice import next_step
    from tpn_metrics.ingest.intake import IngestOutcome
    from tpn_metrics.runs import RefusedFilesError, raise_if_refused
    from tpn_metrics.stages import IngestSummary

    loaded = IngestOutcome("week.csv", "a" * 64, "rssb_weekly", "loaded")
    raise_if_refused(IngestSummary((loaded,)))  # nothing refused: nothing raised
    refused = IngestOutcome(
        "moh.csv", "b" * 64, "accreditation", "quarantined", "unknown hospital 'Kibagabga'"
    )

    with pytest.raises(
        RefusedFilesError, match=r"quarantined moh\.csv: unknown hospital"
    ) as raised:
        raise_if_refused(IngestSummary((loaded, refused)))

    assert "tpn quarantine" in next_step(raised.value, "Failed")
