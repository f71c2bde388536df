"""The locked environment: uv.lock must say exactly what pyproject.toml asks for.

`make demo` and `make test` install with `uv sync --locked`, which refuses a stale lock; this
test says so earlier, and names the fix. It uses the pinned uv that the Makefile installs in
.venv-uv/ (or a `uv` on PATH).
"""

from __future__ import annotations

import shutil
import subprocess
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _uv() -> str:
    pinned = ROOT / ".venv-uv" / "bin" / "uv"
    found = str(pinned) if pinned.exists() else shutil.which("uv")
    assert found, "uv is not installed: run `make venv-dev` (it installs the pinned uv)"
    return found


def _locked_versions() -> dict[str, str]:
    lock = tomllib.loads((ROOT / "uv.lock").read_text(encoding="utf-8"))
    return {p["name"]: p["version"] for p in lock["package"] if "version" in p}


def test_lock_matches_pyproject() -> None:
    result = subprocess.run(
        [_uv(), "lock", "--check", "--offline"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, (
        "uv.lock disagrees with pyproject.toml: run `make lock` and commit uv.lock\n"
        + result.stderr
    )


def test_lock_keeps_the_known_environment_bounds() -> None:
    """The combinations we bisected (pyproject.toml says why for each)."""
    versions = _locked_versions()
    assert versions["sqlalchemy"].startswith("2.0."), versions["sqlalchemy"]
    assert versions["prefect"].startswith("3.8."), versions["prefect"]
    assert versions["dbt-core"].startswith("1.11."), versions["dbt-core"]
    major, minor, *_ = (int(part) for part in versions["fastapi"].split("."))
    assert (major, minor) < (0, 151), versions["fastapi"]


def test_uv_version_is_pinned_in_one_place() -> None:
    """The uv that installs and checks the lock is the one the Makefile pins."""
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    pinned = next(
        line.split(":=")[1].strip()
        for line in makefile.splitlines()
        if line.startswith("UV_VERSION")
    )
    result = subprocess.run(
        [_uv(), "--version"], capture_output=True, text=True, check=True, timeout=30
    )
    assert result.stdout.split()[1] == pinned, (result.stdout, pinned)
