"""Shared fixtures: every test gets its own TPN_HOME, so no test touches the demo's files.

The suite runs on pytest-xdist's workers (``-n auto --dist loadscope`` in pyproject.toml's
[tool.pytest.ini_options]); each worker is a process with its own session. What keeps them
apart, and keeps each costly fixture built once:

* every process has its own ``PREFECT_HOME`` (a temporary folder, set here before anything
  imports Prefect), never the checkout's ``var/prefect``;
* every test is in one group, run whole on one worker (``tests.xdist_groups``): its module,
  or the folder that shares a server (tests/flows, tests/publish);
* session templates (samples, built warehouses) are built once per run for all workers
  (``tests.shared_build.built_once``) and copied by each test.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import pytest

from tests.reliability.tally import TALLY
from tests.shared_build import xdist_worker
from tests.xdist_groups import SERVER_GROUPS, GroupScheduling, group_of
from tpn_metrics.settings import Settings

os.environ.setdefault("TQDM_DISABLE", "1")
os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
os.environ.setdefault("DO_NOT_TRACK", "1")
# Prefect reads PREFECT_HOME when first imported: one private home per test process.
_PREFECT_HOME = tempfile.mkdtemp(prefix=f"tpn-test-prefect-{xdist_worker() or 'main'}-")
os.environ["PREFECT_HOME"] = _PREFECT_HOME

FIXTURES = Path(__file__).parent / "fixtures"
RELIABILITY = Path(__file__).parent / "reliability"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Everything in tests/reliability belongs to the reliability suite (`make reliability` runs
    `-m reliability`); fault-injection tests elsewhere carry the marker themselves.

    On xdist workers the groups are put in the order the controller hands them out: groups
    that start a server, then groups with a ``slow`` test, then the rest (each group keeps its
    own order); a run without workers keeps the collection order.
    """
    groups: dict[str, list[pytest.Item]] = {}
    for item in items:
        if item.path.is_relative_to(RELIABILITY):
            item.add_marker(pytest.mark.reliability)
        groups.setdefault(group_of(item.nodeid), []).append(item)
    if xdist_worker() is None:
        return

    def rank(group: str) -> int:
        if group in SERVER_GROUPS:
            return 0
        return 1 if any(i.get_closest_marker("slow") for i in groups[group]) else 2

    items[:] = [i for group in sorted(groups, key=rank) for i in groups[group]]


@pytest.hookimpl(optionalhook=True)  # an xdist hook: unknown to pytest without xdist
def pytest_xdist_make_scheduler(config: pytest.Config, log: object) -> GroupScheduling | None:
    """``--dist loadscope`` shares the groups of ``tests.xdist_groups`` between workers."""
    if config.getvalue("dist") == "loadscope":
        return GroupScheduling(config, log)  # type: ignore[arg-type]
    return None


def pytest_unconfigure(config: pytest.Config) -> None:
    shutil.rmtree(_PREFECT_HOME, ignore_errors=True)


def pytest_sessionfinish(session: pytest.Session) -> None:
    """On an xdist worker: hand this process's reliability tally to the controller."""
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:
        workeroutput["reliability_tally"] = TALLY.to_data()


@pytest.hookimpl(optionalhook=True)  # an xdist hook: unknown to pytest without xdist
def pytest_testnodedown(node: Any, error: object) -> None:
    """On the controller: add up the tallies of the workers, for the summary below."""
    data = getattr(node, "workeroutput", {}).get("reliability_tally")
    if data:
        TALLY.merge(data)


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
