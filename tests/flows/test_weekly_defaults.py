"""Defaults that work on a fresh setup: configuration errors fail first, in one line, never
retried; refused files end the weekly run Failed after everything else is done."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from flows.tasks import _retry_unless_configuration
from tests.flows.prefect_api import task_run_names
from tpn_metrics.settings import ConfigurationError

GOOD = Path(__file__).resolve().parents[1] / "fixtures" / "ingest" / "good"
BAD = Path(__file__).resolve().parents[1] / "fixtures" / "ingest" / "bad"


@pytest.fixture
def no_smtp(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("TPN_SMTP_HOST", "TPN_RECIPIENTS"):
        monkeypatch.delenv(name, raising=False)


def test_configuration_errors_are_never_retried_io_errors_are():
    from prefect.states import Failed

    assert not _retry_unless_configuration(None, None, Failed(data=ConfigurationError("x")))
    assert _retry_unless_configuration(None, None, Failed(data=OSError("disk busy")))


def _error_line(state: object) -> str:
    error = state.result(raise_on_failure=False)  # type: ignore[attr-defined]
    assert isinstance(error, ConfigurationError), repr(error)
    text = str(error)
    assert "\n" not in text
    return text


@pytest.mark.slow
@pytest.mark.parametrize(
    ("drop_folder", "expected"),
    [
        ("{{ $TPN_DROP_FOLDER }}", "TPN_DROP_FOLDER was not set when the deployment was created"),
        ("/no/such/drop", "the RSSB drop folder /no/such/drop does not exist"),
    ],
)
def test_weekly_without_its_drop_folder_fails_at_its_first_step(
    prefect_harness: None, tmp_path: Path, no_smtp: None, drop_folder: str, expected: str
):
    from flows.weekly_cbhi import weekly_cbhi

    state = weekly_cbhi(drop_folder=drop_folder, home=str(tmp_path / "home"), return_state=True)

    assert state.is_failed()
    assert expected in _error_line(state)
    assert task_run_names(state.state_details.flow_run_id, expected=0, timeout=2) == []


@pytest.mark.slow
def test_weekly_requiring_smtp_without_a_host_fails_at_its_first_step(
    prefect_harness: None, tmp_path: Path, no_smtp: None
):
    from flows.weekly_cbhi import weekly_cbhi

    state = weekly_cbhi(
        drop_folder=str(tmp_path), home=str(tmp_path / "home"), use_smtp=True, return_state=True
    )

    assert "TPN_SMTP_HOST is not" in _error_line(state)
    assert task_run_names(state.state_details.flow_run_id, expected=0, timeout=2) == []


@pytest.mark.slow
def test_publish_without_a_url_fails_at_its_first_step(
    prefect_harness: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    from flows.publish import publish

    monkeypatch.delenv("TPN_PUBLISH_URL", raising=False)
    state = publish(home=str(tmp_path / "home"), return_state=True)

    assert "TPN_PUBLISH_URL" in _error_line(state)
    assert task_run_names(state.state_details.flow_run_id, expected=0, timeout=2) == []


@pytest.mark.slow
def test_a_refused_file_ends_the_weekly_run_failed_after_the_emails(
    prefect_harness: None, tmp_path: Path, no_smtp: None
):
    """The same behaviour as the annual and backfill flows: everything else is loaded,
    built and emailed, then the run ends Failed and the failure notice names the file."""
    from flows.weekly_cbhi import weekly_cbhi
    from tpn_metrics.runs import RefusedFilesError

    drop, home = tmp_path / "drop", tmp_path / "home"
    shutil.copytree(GOOD / "registry", drop / "registry")
    for name in ("accreditation_2022_fractions.csv", "rssb_2023-03-24_canonical.csv"):
        shutil.copy(GOOD / name, drop / name)
    shutil.copy(BAD / "rssb_duplicate_district.csv", drop / "rssb_duplicate_district.csv")

    state = weekly_cbhi(drop_folder=str(drop), home=str(home), n_resamples=50, return_state=True)

    assert state.is_failed()
    error = state.result(raise_on_failure=False)
    assert isinstance(error, RefusedFilesError)
    assert "rssb_duplicate_district.csv" in str(error)
    assert len(list((home / "outbox" / "2023-03-24").glob("*.eml"))) == 30
    [notice] = (home / "outbox" / "failures").glob("*.eml")
    assert "rssb_duplicate_district.csv" in notice.read_text(encoding="utf-8", errors="replace")
