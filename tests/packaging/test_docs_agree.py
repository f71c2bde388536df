"""README.md and docs/ agree with the code: the command table lists exactly the registered
commands, every `tpn …` the docs name exists, and analysts are sent to the read-only snapshot
the build writes (not to the live file the pipeline locks)."""

from __future__ import annotations

import re
from pathlib import Path

from tests.tpn_metrics.cli.test_bad_arguments import registered_commands
from tpn_metrics.settings import Settings
from tpn_metrics.warehouse_swap import build_paths

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
DOCS = [README, *sorted((ROOT / "docs").glob("*.md")), ROOT / "bench/README.md"]
DOCS.append(ROOT / "dbt_project/README.md")


def command_path(code: str) -> str:
    """`tpn emails preview DISTRICT [--week]` -> "emails preview" (the words before arguments)."""
    words: list[str] = []
    for word in code.split()[1:]:
        if not re.fullmatch(r"[a-z][a-z0-9-]*", word):
            break
        words.append(word)
    return " ".join(words)


def named_commands(text: str) -> set[str]:
    return {command_path(code) for code in re.findall(r"`(tpn [^`]*)`", text)} - {""}


def test_readme_command_table_lists_every_command():
    text = README.read_text(encoding="utf-8")
    section = text[text.index("## The command line") :]
    section = section[: section.index("\n## ", 1)]
    assert named_commands(section) == registered_commands()


def test_every_command_the_docs_name_exists():
    commands = registered_commands()
    known = commands | {c.split()[0] for c in commands}  # a group alone (`tpn run`) is fine
    unknown = [
        f"{path.relative_to(ROOT)}: tpn {name}"
        for path in DOCS
        for name in sorted(named_commands(path.read_text(encoding="utf-8")))
        if name not in known
    ]
    assert not unknown


def test_readme_sends_analysts_to_the_read_only_snapshot(tmp_path: Path):
    settings = Settings(home=tmp_path)
    snapshot = build_paths(settings).snapshot.relative_to(tmp_path).as_posix()
    text = " ".join(README.read_text(encoding="utf-8").split())
    outputs = text[text.index("| output | where |") : text.index("Running `make demo` again")]
    assert f"`{snapshot}` — open this one" in outputs
    for path in DOCS:
        for found in re.findall(r"duckdb\.connect\(\"([^\"]+)\"", path.read_text("utf-8")):
            assert found.endswith(build_paths(settings).snapshot.name), (path, found)
