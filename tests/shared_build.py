"""Session templates (a generated sample, a built warehouse home) built once per test run.

A plain ``pytest`` run builds a template in its own temporary folder. Under pytest-xdist
(``make test`` runs two workers) every worker is its own process with its own session, so a
session fixture would build the same template once per worker: here the first worker to ask
builds it in the run's shared temporary folder under an exclusive ``flock``, and the others
wait for that lock and reuse the result ("Making session-scoped fixtures execute only once",
pytest-xdist's documentation). A build that raised leaves no completion mark: the next worker
discards the half-built folder and builds again, so it fails with the real error too.

Templates are read-only by convention: a test copies one into its own ``tmp_path`` before it
changes anything (``shutil.copytree``), never opens the template's DuckDB file for writing.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest


def xdist_worker() -> str | None:
    """The pytest-xdist worker id (``gw0``, ``gw1`` …), or None in a run without workers."""
    return os.environ.get("PYTEST_XDIST_WORKER")


def built_once(
    tmp_path_factory: pytest.TempPathFactory, name: str, build: Callable[[Path], None]
) -> Path:
    """The folder ``name`` after ``build(folder)`` has filled it, once for the whole run.

    ``build`` receives an empty, existing folder. Raises whatever ``build`` raises.
    """
    if xdist_worker() is None:
        folder = tmp_path_factory.mktemp(name, numbered=True)
        build(folder)
        return folder
    shared = tmp_path_factory.getbasetemp().parent  # the run's folder, above every worker's
    folder = shared / f"shared-{name}"
    done = shared / f"shared-{name}.done"
    with (shared / f"shared-{name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes, even on error
        if not done.exists():
            shutil.rmtree(folder, ignore_errors=True)  # a build that raised half-way
            folder.mkdir()
            build(folder)
            done.touch()
    return folder


#: The sample the email and evaluation tests read: seed 2024, generated as of 31 July 2023.
SAMPLE_SEED = 2024
SAMPLE_TODAY = dt.date(2023, 7, 31)


def fy2023_sample(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``generate_sample(folder, 2024, today=2023-07-31)``, once per run (read-only)."""
    from tpn_metrics.sample import generate_sample

    return built_once(
        tmp_path_factory,
        "sample-2024-as-of-2023-07-31",
        lambda folder: generate_sample(folder, SAMPLE_SEED, today=SAMPLE_TODAY),
    )
