"""tpn_metrics.figures: reproducible PNGs, inline <img> tags, one re-entrant render lock."""

from __future__ import annotations

import base64
import threading

from matplotlib.figure import Figure

from tpn_metrics.figures import RENDER_LOCK, img_tag, png_bytes, png_data_uri


def _figure() -> Figure:
    figure = Figure(figsize=(2, 1), dpi=50)
    figure.subplots().plot([0, 1], [1, 0])
    return figure


def test_png_is_reproducible_and_carries_no_software_version():
    first, second = png_bytes(_figure()), png_bytes(_figure())
    assert first.startswith(b"\x89PNG\r\n\x1a\n")
    assert first == second
    assert b"matplotlib" not in first.lower()
    assert len(png_bytes(_figure(), dpi=100)) > len(first)  # dpi is honoured


def test_img_tag_inlines_the_png_and_escapes_its_text():
    png = png_bytes(_figure())
    tag = img_tag(png, "reported vs 'corrected'", style="max-width:100%")
    assert tag.startswith("<img alt='reported vs &#x27;corrected&#x27;' src='data:image/png;")
    assert f"src='{png_data_uri(png)}'" in tag
    assert base64.b64decode(png_data_uri(png).split(",", 1)[1]) == png
    assert tag.endswith(" style='max-width:100%'>")


def test_the_render_lock_is_re_entrant():
    """A renderer may call another renderer while holding the lock (one lock for all)."""
    done = threading.Event()

    def nested() -> None:
        with RENDER_LOCK, RENDER_LOCK:
            done.set()

    worker = threading.Thread(target=nested)
    worker.start()
    worker.join(timeout=5)
    assert done.is_set()
