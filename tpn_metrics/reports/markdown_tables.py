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


def _alignments(separator: str) -> list[str]:
    """Markdown's column alignment: ``---:`` right (numbers), ``:---:`` centre, else left."""
    found = []
    for cell in (c.strip() for c in separator.strip().strip("|").split("|")):
        if cell.startswith(":") and cell.endswith(":"):
            found.append("center")
        elif cell.endswith(":"):
            found.append("right")
        else:
            found.append("left")
    return found


def markdown_table_html(lines: list[str]) -> str:
    """``| a | b |`` header, a separator line, then rows; every cell escaped and aligned as
    the separator says (text left, numbers right), whatever the page's own CSS; a line break
    is allowed after each underscore."""
    header = [c.strip() for c in lines[0].strip("|").split("|")]
    align = _alignments(lines[1])
    body = [[c.strip() for c in line.strip("|").split("|")] for line in lines[2:]]

    def cell(tag: str, i: int, text: str) -> str:
        side = align[i] if i < len(align) else "left"
        # Identifiers (coverage_reported_pct) may wrap after an underscore instead of
        # widening the table past the page.
        wrappable = html.escape(text).replace("_", "_<wbr>")
        return f"<{tag} style='text-align:{side}'>{wrappable}</{tag}>"

    head = "".join(cell("th", i, c) for i, c in enumerate(header))
    rows = "".join(
        "<tr>" + "".join(cell("td", i, c) for i, c in enumerate(row)) + "</tr>" for row in body
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>"
