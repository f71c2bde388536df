"""Small rooms: no Python module of the package (tpn_metrics/) or the flows (flows/) is over
400 lines (the house style, "small rooms": past 400 lines, split by responsibility).

Issue #20 added this test while other branches were still splitting the big modules; on a
branch without their splits it fails and names every offender with its line count.
"""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MAX_LINES = 400
PACKAGES = ("tpn_metrics", "flows")


def module_lines(root: Path = ROOT) -> dict[str, int]:
    """Relative path → line count of every ``*.py`` in PACKAGES (``wc -l``, plus one for a
    last line without a final newline)."""
    return {
        str(path.relative_to(root)): len(path.read_text(encoding="utf-8").splitlines())
        for package in PACKAGES
        for path in sorted((root / package).rglob("*.py"))
    }


def test_the_packages_hold_modules():
    lines = module_lines()
    assert "tpn_metrics/settings.py" in lines
    assert any(name.startswith("flows/") for name in lines)


def test_line_count_counts_every_line(tmp_path):
    package = tmp_path / "tpn_metrics"
    package.mkdir()
    (package / "a.py").write_text("x = 1\ny = 2\n", encoding="utf-8")
    (package / "b.py").write_text("z = 3", encoding="utf-8")  # no final newline: still a line
    (tmp_path / "flows").mkdir()
    assert module_lines(tmp_path) == {"tpn_metrics/a.py": 2, "tpn_metrics/b.py": 1}


def test_no_module_is_over_400_lines():
    offenders = {name: n for name, n in module_lines().items() if n > MAX_LINES}
    listing = "\n".join(f"  {name}: {n} lines" for name, n in sorted(offenders.items()))
    assert not offenders, (
        f"{len(offenders)} module(s) over {MAX_LINES} lines; split each by responsibility:\n"
        f"{listing}"
    )
