"""A report as a list of blocks, rendered once as Markdown and once as HTML, so the Prefect
artifact and the HTML page say the same thing.

Text is plain (escaped for HTML); tables are Markdown pipe tables (``markdown_tables``);
images exist only in HTML and are rendered lazily, so the Markdown costs no plotting.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

from tpn_metrics.figures import img_tag
from tpn_metrics.reports.markdown_tables import markdown_table_html

Kind = Literal["h2", "h3", "p", "lead", "table", "warn", "ul", "img", "caption", "raw"]


@dataclass(frozen=True)
class Block:
    """``text`` for headings/paragraphs, ``lines`` for tables and lists, ``png`` (a function
    returning PNG bytes) and ``text`` as alt text for images, ``html``/``text`` for raw
    sections contributed by other modules (HTML and its Markdown)."""

    kind: Kind
    text: str = ""
    lines: tuple[str, ...] = ()
    png: Callable[[], bytes] | None = None
    html: str = ""


def to_markdown(blocks: Sequence[Block]) -> str:
    """The blocks as Markdown, one paragraph each in order; ``img`` blocks are skipped (their
    ``png`` is never called) and ``raw`` blocks contribute their ``text``."""
    out: list[str] = []
    for b in blocks:
        if b.kind == "h2":
            out += [f"## {b.text}", ""]
        elif b.kind == "h3":
            out += [f"### {b.text}", ""]
        elif b.kind in ("p", "lead", "caption"):
            out += [b.text, ""]
        elif b.kind == "warn":
            out += [f"> ⚠ {b.text}", ""]
        elif b.kind == "table":
            out += [*b.lines, ""]
        elif b.kind == "ul":
            out += [*(f"- {line}" for line in b.lines), ""]
        elif b.kind == "raw":
            out += [b.text, ""]
    return "\n".join(out)


def to_html(blocks: Sequence[Block]) -> str:
    """The blocks as an HTML fragment (no ``<html>``/``<body>``), one element per line: text
    escaped, tables converted from their Markdown lines, ``img`` blocks rendered by calling
    their ``png`` and inlined, ``raw`` blocks contributing their ``html`` unescaped."""
    out: list[str] = []
    for b in blocks:
        text = html.escape(b.text)
        if b.kind in ("h2", "h3"):
            out.append(f"<{b.kind}>{text}</{b.kind}>")
        elif b.kind == "p":
            out.append(f"<p>{text}</p>")
        elif b.kind == "lead":
            out.append(f"<p class='lead'>{text}</p>")
        elif b.kind == "caption":
            out.append(f"<p class='caption'>{text}</p>")
        elif b.kind == "warn":
            out.append(f"<p class='warn'>⚠ {text}</p>")
        elif b.kind == "table":
            out.append(markdown_table_html(list(b.lines)))
        elif b.kind == "ul":
            out.append("<ul>" + "".join(f"<li>{html.escape(x)}</li>" for x in b.lines) + "</ul>")
        elif b.kind == "img" and b.png is not None:
            out.append(img_tag(b.png(), b.text))
        elif b.kind == "raw":
            out.append(b.html)
    return "\n".join(out)
