"""The monthly DHIS2 flow under the Prefect test harness: a configuration error fails first, in
one line; DHIS2 exports are loaded and built into the service-indicator mart, and a refused
export ends the run Failed after everything else is done, its notice naming the file."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.flows.prefect_api import task_run_names
from tests.warehouse_state import query
from tpn_metrics.settings import ConfigurationError, Settings

DHIS2 = Path(__file__).resolve().parents[1] / "fixtures" / "ingest" / "dhis2"

pytestmark = pytest.mark.slow


@pytest.fixture
def no_smtp(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("TPN_SMTP_HOST", "TPN_RECIPIENTS"):
        monkeypatch.delenv(name, raising=False)


def test_without_its_drop_folder_it_fails_at_its_first_step(prefect_harness: None, tmp_path: Path):
    from flows.monthly_dhis2 import monthly_dhis2

    state = monthly_dhis2(
        drop_folder="{{ $TPN_DHIS2_DROP_FOLDER }}", home=str(tmp_path / "home"), return_state=True
    )

    assert state.is_failed()
    error = state.result(raise_on_failure=False)
    assert isinstance(error, ConfigurationError)
    assert "TPN_DHIS2_DROP_FOLDER" in str(error) and "\n" not in str(error)
    assert task_run_names(state.state_details.flow_run_id, expected=0, timeout=2) == []


def test_exports_are_built_and_a_refused_one_fails_the_run_last(
    prefect_harness: None, tmp_path: Path, no_smtp: None
):
    from flows.monthly_dhis2 import monthly_dhis2
    from tpn_metrics.runs import RefusedFilesError

    drop, home = tmp_path / "drop", tmp_path / "home"
    drop.mkdir()
    for name in ("analytics_numden_hierarchy.json", "data_value_set.csv", "bad_period.csv"):
        shutil.copy(DHIS2 / name, drop / name)

    state = monthly_dhis2(drop_folder=str(drop), home=str(home), n_resamples=50, return_state=True)

    assert state.is_failed()
    error = state.result(raise_on_failure=False)
    assert isinstance(error, RefusedFilesError)
    assert "bad_period.csv" in str(error)
    settings = Settings(home=home)
    ledger = dict(query(settings, "select file_name, status from landing.file_ledger"))
    assert ledger == {
        "analytics_numden_hierarchy.json": "loaded",
        "data_value_set.csv": "loaded",
        "bad_period.csv": "quarantined",
    }
    [(rows,)] = query(settings, "select count(*) from marts.fct_service_indicators")
    assert rows > 0
    [notice] = (home / "outbox" / "failures").glob("*.eml")
    assert "bad_period.csv" in notice.read_text(encoding="utf-8", errors="replace")
