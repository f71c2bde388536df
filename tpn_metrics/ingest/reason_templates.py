"""Fill the ``meta.reason`` templates of the GX suites with a row's values.

Each expectation in ``expectations/expectations/*.json`` carries a sentence such as
"district '{district_name}' appears more than once (line {line})"; the refusal a sender reads
and the validation page both fill it here.
"""

from __future__ import annotations

from typing import Any


class _Row(dict[str, Any]):
    """Format values missing from a row as '?' instead of raising KeyError."""

    def __missing__(self, key: str) -> str:
        return "?"


def fill_reason(template: str, values: dict[str, Any]) -> str:
    """``template`` with ``{name}`` fields taken from ``values`` ('?' when absent).

    A format spec that does not fit the value (``{x:,}`` on text) falls back to plain text.
    """
    try:
        return template.format_map(_Row(values))
    except (ValueError, TypeError):
        return template.format_map(_Row({k: str(v) for k, v in values.items()}))
