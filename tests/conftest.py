"""Shared fixtures: every test gets its own TPN_HOME, so no test touches the demo's files."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.reliability.tally import TALLY
from tpn_metrics.settings import Settings

os.environ.setdefault("TQDM_DISABLE", "1")
os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
os.environ.setdefault("DO_NOT_TRACK", "1")

FIXTURES = Path(__file__).parent / "fixtures"
RELIABILITY = Path(__file__).parent / "reliability"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Everything in tests/reliability belongs to the reliability suite (`make reliability` runs
    `-m reliability`); fault-injection tests elsewhere carry the marker themselves."""
    for item in items:
        if item.path.is_relative_to(RELIABILITY):
            item.add_marker(pytest.mark.reliability)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if TALLY.empty():
        return
    terminalreporter.section("reliability summary")
    for line in TALLY.lines():
        terminalreporter.write_line(line)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(home=tmp_path / "home")


@pytest.fixture
def fixtures() -> Path:
    return FIXTURES
