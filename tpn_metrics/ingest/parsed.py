"""What a parser hands to the loader: typed rows per landing table, the period, warnings."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from tpn_metrics.ingest.errors import FileRejectedError

MAX_LISTED_PROBLEMS = 12


@dataclass(frozen=True)
class ParsedFile:
    kind: str
    period_key: str
    tables: dict[str, pd.DataFrame]
    warnings: tuple[str, ...] = ()
    details: dict[str, str] = field(default_factory=dict)

    @property
    def row_count(self) -> int:
        return sum(len(frame) for frame in self.tables.values())


def reject_if_any(problems: list[str]) -> None:
    """Refuse with every problem found (up to a dozen), so one resubmission can fix them all."""
    if not problems:
        return
    shown = problems[:MAX_LISTED_PROBLEMS]
    if len(problems) > MAX_LISTED_PROBLEMS:
        shown.append(f"… and {len(problems) - MAX_LISTED_PROBLEMS} more problems")
    raise FileRejectedError(shown)


def require_columns(present: tuple[str | None, ...], layout_describe: dict[str, str]) -> None:
    missing = [name for name in layout_describe if name not in present]
    if missing:
        found = ", ".join(sorted(c for c in present if c)) or "none"
        raise FileRejectedError(
            [f"missing required column {layout_describe[name]}" for name in missing]
            + [f"recognised columns: {found}"]
        )
