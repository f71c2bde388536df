"""Markdown pipe tables, as the reports write them, turned into HTML tables.

The reports build each table once, as Markdown lines (header, separator, rows), and the HTML
page shows the same table, so the two versions cannot disagree.
"""

from __future__ import annotations

import html
import math


def number_cell(value: object, digits: int) -> str:
    """A table cell: floats with thousands separators and ``digits`` decimals, "–" for
    missing (None or NaN), anything else as text."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if isinstance(value, float):
        return f"{value:,.{digits}f}"
    return str(value)


def markdown_table_html(lines: list[str]) -> str:
    """``| a | b |`` header, a separator line, then rows; every cell escaped."""
    header = [c.strip() for c in lines[0].strip("|").split("|")]
    body = [[c.strip() for c in line.strip("|").split("|")] for line in lines[2:]]
    head = "".join(f"<th>{html.escape(c)}</th>" for c in header)
    rows = "".join(
        "<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>" for row in body
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>"
