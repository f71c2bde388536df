"""Matplotlib figures as PNG bytes, and PNGs inlined in HTML (reports, emails, twinning).

Figures are built with the object API (``matplotlib.figure.Figure``), never pyplot, so no
figure outlives its function. Rendering still takes ``RENDER_LOCK``: matplotlib's font and
text caches are shared by every figure in the process and are not thread-safe, and Prefect
runs tasks in threads. One lock for all modules, re-entrant so a renderer may call another.
"""

from __future__ import annotations

import base64
import html
import io
import threading
from typing import Any

import matplotlib.image
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

RENDER_LOCK = threading.RLock()


def png_bytes(figure: Figure, *, dpi: float | None = None) -> bytes:
    """The figure as PNG. Without a Software entry the PNG holds no version string, so
    upgrading Matplotlib alone does not change the bytes of an otherwise equal chart."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi or "figure", metadata={"Software": None})
    return buffer.getvalue()


def drawn_png_bytes(figure: Figure) -> bytes:
    """The figure as PNG at its own dpi, drawn once on an Agg canvas, its layout engine (if
    any) running inside that one draw. ``savefig`` draws a figure with a layout engine twice
    (once to lay it out, once to render); for the same figure the pixels are the same, and
    so are the bytes (no Software entry, as :func:`png_bytes`)."""
    canvas = FigureCanvasAgg(figure)
    canvas.draw()  # type: ignore[no-untyped-call]
    buffer = io.BytesIO()
    no_software: dict[str, Any] = {"Software": None}
    matplotlib.image.imsave(
        buffer,
        canvas.buffer_rgba(),  # type: ignore[no-untyped-call]
        format="png",
        origin="upper",
        dpi=figure.dpi,
        metadata=no_software,
    )
    return buffer.getvalue()


def png_data_uri(png: bytes) -> str:
    """The PNG bytes as an RFC 2397 ``data:image/png;base64,...`` URI (ASCII)."""
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def img_tag(png: bytes, alt: str, *, style: str | None = None) -> str:
    """An ``<img>`` holding the PNG itself, so the HTML page is one self-contained file."""
    styled = "" if style is None else f" style='{html.escape(style)}'"
    return f"<img alt='{html.escape(alt)}' src='{png_data_uri(png)}'{styled}>"
