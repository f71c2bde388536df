"""Shared fixtures: every test gets its own TPN_HOME, so no test touches the demo's files."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tpn_metrics.settings import Settings

os.environ.setdefault("TQDM_DISABLE", "1")
os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
os.environ.setdefault("DO_NOT_TRACK", "1")

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(home=tmp_path / "home")


@pytest.fixture
def fixtures() -> Path:
    return FIXTURES
