"""The layers point one way: flows/ wire tpn_metrics/, never the reverse. The CLI runs flows
through Prefect's load_flow_from_entrypoint, so no module of the package imports `flows`."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "tpn_metrics"


def imports_of_flows(source: str) -> list[int]:
    """Line numbers of every `import flows…` / `from flows… import …` in ``source``, at any
    depth (inside functions and TYPE_CHECKING blocks too)."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        else:
            continue
        if any(name == "flows" or name.startswith("flows.") for name in names):
            found.append(node.lineno)
    return sorted(found)


def test_the_scan_finds_every_form_of_import():
    source = (
        "import flows\n"
        "import os, flows.tasks as t\n"
        "def f():\n"
        "    from flows.weekly_cbhi import weekly_cbhi\n"
        "from flows import demo\n"
        "from tpn_metrics import flows_like\n"
        "import flowsheet\n"
    )
    assert imports_of_flows(source) == [1, 2, 4, 5]


def test_no_module_of_the_package_imports_the_flows():
    modules = sorted(PACKAGE.rglob("*.py"))
    assert len(modules) > 50  # the scan really walks the package
    offenders = [
        f"{path.relative_to(ROOT)}:{line}"
        for path in modules
        for line in imports_of_flows(path.read_text(encoding="utf-8"))
    ]
    assert offenders == [], f"tpn_metrics/ imports flows/: {', '.join(offenders)}"
