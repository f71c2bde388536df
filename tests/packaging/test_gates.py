"""The gates run: `make test` runs ruff check, ruff format --check and mypy before pytest,
`make lint` runs the same three checks, and mypy is installed and strict on tpn_metrics/.

A gate that is configured but not run is not a gate (the house style, "vocabulary is typed").
"""

from __future__ import annotations

import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHECKS = [".venv/bin/ruff check .", ".venv/bin/ruff format --check .", ".venv/bin/mypy"]


def recipe(target: str) -> list[str]:
    """The commands ``make -n`` would run for ``target`` (nothing is run), minus installs."""
    make = shutil.which("make")
    if make is None:
        pytest.fail("make is not installed: it runs the gates (apt-get install make)")
    done = subprocess.run(
        [make, "-n", "-s", "-C", str(ROOT), target],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return [
        line.strip()
        for line in done.stdout.splitlines()
        # Installing (the pinned uv in .venv-uv/, then `uv sync`) and stamps are not checks.
        if line.strip()
        and ".venv-uv" not in line
        and "-m venv" not in line
        and not line.startswith(("touch", "mkdir"))
    ]


def test_make_test_runs_the_checks_in_order_then_pytest():
    assert recipe("test") == [*CHECKS, ".venv/bin/python -m pytest"]


def test_make_lint_runs_the_same_checks():
    assert recipe("lint") == CHECKS


def test_mypy_is_a_dev_dependency_and_strict_on_the_package():
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    dev = pyproject["dependency-groups"]["dev"]
    assert any(str(spec).startswith("mypy") for spec in dev)
    mypy = pyproject["tool"]["mypy"]
    assert mypy["strict"] is True
    assert "tpn_metrics" in mypy["files"]
    relaxed = {m for o in mypy.get("overrides", []) for m in o["module"]}
    assert not any(m.startswith("tpn_metrics") for m in relaxed)
