"""One statement of each pin: every upper bound in pyproject.toml has its reason in the comment
right above it, and README.md and docs/ refer to pyproject.toml instead of restating bounds."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[2]
PYPROJECT = ROOT / "pyproject.toml"
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")), ROOT / "bench/README.md"]
DOCS.append(ROOT / "dbt_project/README.md")


def requirements() -> list[Requirement]:
    project = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))
    listed = list(project["project"]["dependencies"])
    for group in project.get("dependency-groups", {}).values():
        listed.extend(r for r in group if isinstance(r, str))
    return [Requirement(r) for r in listed]


def upper_bounded() -> list[Requirement]:
    return [r for r in requirements() if any(s.operator in ("<", "<=") for s in r.specifier)]


def comment_above(name: str) -> str:
    """The block of comment lines directly above the requirement's line in pyproject.toml."""
    lines = PYPROJECT.read_text(encoding="utf-8").splitlines()
    starts = re.compile(rf'^\s*"{re.escape(name)}(?![\w.-])', re.IGNORECASE)
    index = next(i for i, line in enumerate(lines) if starts.match(line))
    block: list[str] = []
    for line in reversed(lines[:index]):
        if not line.strip().startswith("#"):
            break
        block.insert(0, line.strip().lstrip("# "))
    return " ".join(block)


def test_the_known_pins_are_upper_bounds():
    names = {r.name for r in upper_bounded()}
    assert {"dbt-core", "prefect", "fastapi", "sqlalchemy"} <= names


def test_every_upper_bound_has_its_reason_beside_it():
    for requirement in upper_bounded():
        comment = comment_above(requirement.name)
        assert requirement.name.lower() in comment.lower(), (
            f"{requirement}: no comment right above it naming {requirement.name} and why"
        )


def test_docs_do_not_restate_the_bounds():
    restated = []
    for requirement in upper_bounded():
        pattern = re.compile(
            rf"{re.escape(requirement.name)}\W{{0,3}}(?:is\s+)?(?:pinned\s+)?(?:<|≤|below)\s*\d",
            re.IGNORECASE,
        )
        for path in DOCS:
            text = " ".join(path.read_text(encoding="utf-8").split())
            restated += [f"{path.relative_to(ROOT)}: {m.group(0)}" for m in pattern.finditer(text)]
    assert not restated, f"state pins only in pyproject.toml: {restated}"
