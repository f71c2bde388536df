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


def _runtime_closure() -> set[str]:
    """Every locked package `make demo` installs: the project's dependencies (no dev group),
    followed through uv.lock, extras included."""
    lock = tomllib.loads((ROOT / "uv.lock").read_text(encoding="utf-8"))
    packages = {p["name"]: p for p in lock["package"]}
    project = next(p for p in lock["package"] if p.get("source", {}).get("editable") == ".")
    todo = [(d["name"], tuple(d.get("extra", ()))) for d in project.get("dependencies", [])]
    seen: set[str] = set()
    while todo:
        name, extras = todo.pop()
        package = packages[name]
        wanted = list(package.get("dependencies", []))
        for extra in extras:
            wanted += package.get("optional-dependencies", {}).get(extra, [])
        if name in seen and not extras:
            continue
        seen.add(name)
        todo += [(d["name"], tuple(d.get("extra", ()))) for d in wanted if d["name"] not in seen]
    return seen


def _imported_top_level_modules(folder: Path) -> set[str]:
    import ast

    names: set[str] = set()
    for path in folder.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module.split(".")[0])
    return names


def test_what_the_product_imports_is_a_runtime_dependency() -> None:
    """`make demo` installs without the dev group, and the deployments run in that
    environment: a module that `tpn_metrics/` or `flows/` imports (psycopg for `tpn publish`,
    say) must come from the runtime dependencies, not from a test tool."""
    import sys
    from importlib.metadata import packages_distributions

    from packaging.utils import canonicalize_name

    modules = _imported_top_level_modules(ROOT / "tpn_metrics") | _imported_top_level_modules(
        ROOT / "flows"
    )
    third_party = {
        m for m in modules if m not in sys.stdlib_module_names and m not in {"tpn_metrics", "flows"}
    }
    distributions = packages_distributions()
    runtime = _runtime_closure()
    missing = {}
    for module in sorted(third_party):
        names = distributions.get(module, [])
        if not {canonicalize_name(name) for name in names} & runtime:
            missing[module] = names
    assert missing == {}, f"imported by the product but not a runtime dependency: {missing}"
