"""Shared fixtures: every test gets its own TPN_HOME, so no test touches the demo's files.

The suite runs on pytest-xdist's workers (``-n auto --dist loadgroup`` in pyproject.toml's
[tool.pytest.ini_options]); each worker is a process with its own session. What keeps them
apart, and keeps each costly fixture built once:

* every process has its own ``PREFECT_HOME`` (a temporary folder, set here before anything
  imports Prefect), never the checkout's ``var/prefect``;
* every test is in one xdist group, run whole on one worker: its module by default (so a
  module-scoped fixture is built once), or the group that shares a session-wide server:
  ``prefect-harness`` (the Prefect test server of tests/flows) and ``publish`` (PostgreSQL
  and its built warehouse); a test that names its own ``xdist_group`` keeps it;
* session templates (samples, built warehouses) are built once per run for all workers
  (``tests.shared_build.built_once``) and copied by each test;
* on workers, the groups that start a server and then the other ``slow`` groups are handed out
  first, so no long group starts last while the other worker idles.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

from tests.reliability.tally import TALLY
from tests.shared_build import xdist_worker
from tpn_metrics.settings import Settings

os.environ.setdefault("TQDM_DISABLE", "1")
os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
os.environ.setdefault("DO_NOT_TRACK", "1")
# Prefect reads PREFECT_HOME when first imported: one private home per test process.
_PREFECT_HOME = tempfile.mkdtemp(prefix=f"tpn-test-prefect-{xdist_worker() or 'main'}-")
os.environ["PREFECT_HOME"] = _PREFECT_HOME

TESTS = Path(__file__).parent
FIXTURES = TESTS / "fixtures"
RELIABILITY = TESTS / "reliability"
PUBLISH = TESTS / "publish"
#: Groups whose tests share a server started once per process: handed out first.
SERVER_GROUPS = ("prefect-harness", "publish", "tests/prefect_server/test_real_server.py")


def xdist_group_of(item: pytest.Item) -> str:
    """The xdist group ``item`` runs in (see the module docstring)."""
    marker = item.get_closest_marker("xdist_group")
    if marker is not None:
        return str(marker.args[0] if marker.args else marker.kwargs.get("name", "default"))
    if "prefect_harness" in getattr(item, "fixturenames", ()):
        return "prefect-harness"
    if item.path.is_relative_to(PUBLISH):
        return "publish"
    return item.path.relative_to(TESTS.parent).as_posix()


@pytest.hookimpl(tryfirst=True)  # before xdist reads the groups into the test ids
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Everything in tests/reliability belongs to the reliability suite (`make reliability` runs
    `-m reliability`); fault-injection tests elsewhere carry the marker themselves. Each test
    gets its xdist group; on workers, the groups are ordered servers first, then slow."""
    with_xdist = config.pluginmanager.hasplugin("xdist")  # not with `-p no:xdist`
    groups: dict[str, list[pytest.Item]] = {}
    for item in items:
        if item.path.is_relative_to(RELIABILITY):
            item.add_marker(pytest.mark.reliability)
        group = xdist_group_of(item)
        if with_xdist and item.get_closest_marker("xdist_group") is None:
            item.add_marker(pytest.mark.xdist_group(group))
        groups.setdefault(group, []).append(item)
    if xdist_worker() is None:
        return  # a run without workers keeps the collection order

    def rank(group: str) -> int:
        if group in SERVER_GROUPS:
            return 0
        return 1 if any(i.get_closest_marker("slow") for i in groups[group]) else 2

    items[:] = [i for group in sorted(groups, key=rank) for i in groups[group]]


def pytest_unconfigure(config: pytest.Config) -> None:
    shutil.rmtree(_PREFECT_HOME, ignore_errors=True)


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
