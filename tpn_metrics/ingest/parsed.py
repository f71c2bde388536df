"""What a parser hands to the loader: typed rows per landing table, the period, warnings."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import pandas as pd

from tpn_metrics.ingest.errors import FileRejectedError
from tpn_metrics.ingest.vocabulary import FileKind

MAX_LISTED_PROBLEMS = 12


@dataclass(frozen=True)
class ParsedFile:
    """A file read and validated, ready to load: one frame per landing table it fills.

    ``period_key`` is what a newer file replaces it by: the report date (ISO) of an RSSB
    week, the survey year of accreditation results, "registry" for the registry.
    ``details`` holds what the ledger and the run summary show (``format``, ``sheet``...).
    """

    kind: FileKind
    period_key: str
    tables: dict[str, pd.DataFrame]
    warnings: tuple[str, ...] = ()
    details: dict[str, str] = field(default_factory=dict)

    @property
    def row_count(self) -> int:
        """Rows over all its landing tables."""
        return sum(len(frame) for frame in self.tables.values())


_ONE_LINE = re.compile(r"^(?P<before>.*?)\bline (?P<line>\d+)(?P<after>[,:].*)$")


def line_ranges(lines: list[int]) -> str:
    """Line numbers as ranges, in order: ``[2, 3, 4, 7]`` → ``"2–4, 7"``."""
    spans: list[list[int]] = []
    for line in sorted(set(lines)):
        if spans and line == spans[-1][1] + 1:
            spans[-1][1] = line
        else:
            spans.append([line, line])
    return ", ".join(f"{a}–{b}" if b > a else f"{a}" for a, b in spans)


def group_problems(problems: list[str]) -> list[str]:
    """One message per kind of problem: the same words on many lines become
    ``lines 2–31, report_date: '2023-13-45' is not a date``, in order of first appearance."""
    groups: dict[tuple[str, str], list[int]] = {}
    singles: dict[str, None] = {}
    order: list[tuple[str, str] | str] = []
    for problem in problems:
        match = _ONE_LINE.match(problem)
        if not match:
            if problem not in singles:
                singles[problem] = None
                order.append(problem)
            continue
        key = (match["before"], match["after"])
        if key not in groups:
            groups[key] = []
            order.append(key)
        groups[key].append(int(match["line"]))
    out = []
    for item in order:
        if isinstance(item, str):
            out.append(item)
            continue
        lines = groups[item]
        word = "lines" if len(set(lines)) > 1 else "line"
        out.append(f"{item[0]}{word} {line_ranges(lines)}{item[1]}")
    return out


def reject_if_any(problems: list[str]) -> None:
    """Refuse with every problem found, grouped by kind (up to a dozen kinds), so one
    resubmission can fix them all."""
    if not problems:
        return
    grouped = group_problems(problems)
    shown = grouped[:MAX_LISTED_PROBLEMS]
    if len(grouped) > MAX_LISTED_PROBLEMS:
        shown.append(f"… and {len(grouped) - MAX_LISTED_PROBLEMS} more problems")
    raise FileRejectedError(shown)


@contextmanager
def naming_sheet(sheet: str | None) -> Iterator[None]:
    """Every refusal about a workbook names the sheet that was read."""
    try:
        yield
    except FileRejectedError as error:
        if not sheet:
            raise
        named = FileRejectedError([f"sheet '{sheet}': {reason}" for reason in error.reasons])
        named.sheet = sheet
        raise named from error


def require_columns(present: tuple[str | None, ...], layout_describe: dict[str, str]) -> None:
    """Refuse a table lacking a required column: FileRejectedError naming each missing one
    (``layout_describe``: {column: description}) and the columns that were recognised."""
    missing = [name for name in layout_describe if name not in present]
    if missing:
        found = ", ".join(sorted(c for c in present if c)) or "none"
        raise FileRejectedError(
            [f"missing required column {layout_describe[name]}" for name in missing]
            + [f"recognised columns: {found}"]
        )
