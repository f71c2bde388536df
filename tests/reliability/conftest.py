"""Shared fixtures of the reliability suite, and its end-of-run summary.

A warehouse pre-loaded with one good RSSB week, one accreditation year and a registry is built
once per session; each test gets a private copy of that home, so a refused file can be proved to
have changed nothing (``tests.warehouse_state.fingerprint``).
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
from collections.abc import Iterator, Sequence
from pathlib import Path

import duckdb
import pytest
from hypothesis import HealthCheck, settings

from tests.conftest import FIXTURES
from tests.reliability.tally import TALLY
from tests.shared_build import built_once
from tpn_metrics.ingest.intake import IngestOutcome, ingest_paths
from tpn_metrics.ingest.validation import FrameValidator
from tpn_metrics.settings import Settings
from tpn_metrics.warehouse import LANDING_TABLES

TODAY = dt.date(2026, 11, 23)
GOOD = FIXTURES / "ingest" / "good"
TEMPLATE_FILES = (
    GOOD / "rssb_2023-03-24_canonical.csv",
    GOOD / "accreditation_2023_percent.csv",
    GOOD / "registry",
)

# Hypothesis, for this folder's tests only (other suites keep their own settings): a fixed
# number of examples, derandomised so CI is repeatable; HYPOTHESIS_PROFILE=explore searches
# further with fresh random examples.
_EXPLORE = os.environ.get("HYPOTHESIS_PROFILE") == "explore"
PROPERTY_SETTINGS = settings(
    max_examples=400 if _EXPLORE else 40,
    derandomize=not _EXPLORE,
    deadline=None,
    database=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def ingest(
    settings_: Settings, paths: Sequence[Path], *, source: str = "corpus"
) -> list[IngestOutcome]:
    """ingest_paths with the suite's fixed 'today', counted in the run's summary."""
    outcomes = ingest_paths(list(paths), settings_, today=TODAY)
    TALLY.files_seen(source, outcomes)
    return outcomes


def query(settings_: Settings, sql: str, params: Sequence[object] = ()) -> list[tuple]:
    con = duckdb.connect(str(settings_.warehouse_path), read_only=True)
    try:
        return con.execute(sql, list(params)).fetchall()
    finally:
        con.close()


def landing_rows_of(settings_: Settings, sha256: str) -> int:
    """Rows of one file across every landing table."""
    union = " union all ".join(
        f"select count(*) as n from landing.{t} where file_sha256 = $sha" for t in LANDING_TABLES
    )
    con = duckdb.connect(str(settings_.warehouse_path), read_only=True)
    try:
        row = con.execute(f"select sum(n) from ({union})", {"sha": sha256}).fetchone()
        return int(row[0]) if row and row[0] is not None else 0
    finally:
        con.close()


def _load_template(folder: Path) -> None:
    home = folder / "home"
    outcomes = ingest_paths(list(TEMPLATE_FILES), Settings(home=home), today=TODAY)
    assert [o.status for o in outcomes] == ["loaded"] * 3, outcomes
    shutil.rmtree(home / "var", ignore_errors=True)  # GX results: not needed in the copies


@pytest.fixture(scope="session")
def loaded_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Loaded once per run, for every xdist worker (read-only: ``loaded`` copies it)."""
    return built_once(tmp_path_factory, "reliability-template", _load_template) / "home"


@pytest.fixture
def loaded(loaded_template: Path, tmp_path: Path) -> Settings:
    """A private copy of the pre-loaded warehouse."""
    home = tmp_path / "home"
    shutil.copytree(loaded_template, home)
    return Settings(home=home)


@pytest.fixture
def no_data_docs(monkeypatch: pytest.MonkeyPatch) -> None:
    """Skip writing the validation results page (never part of a file's outcome:
    ``build_data_docs`` swallows its own errors). Everything else runs for real."""
    monkeypatch.setattr(FrameValidator, "build_data_docs", lambda self: None)


@pytest.fixture(scope="module")
def shared_gx(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """For hypothesis tests, whose examples each use a fresh home: one GX results folder for
    the module (so GX's context is built once, not per example) and no results page."""
    from tpn_metrics.ingest import intake

    folder = tmp_path_factory.mktemp("shared_gx")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(intake, "gx_dir", lambda _settings: folder)
        patch.setattr(FrameValidator, "build_data_docs", lambda self: None)
        yield
