"""Small helpers every report page uses: table cells, Markdown tables as HTML, inline PNGs."""

from __future__ import annotations

import base64
import threading

from matplotlib.figure import Figure

from tpn_metrics.figures import RENDER_LOCK, img_tag, png_bytes, png_data_uri
from tpn_metrics.reports.markdown_tables import markdown_table_html, number_cell


def test_number_cells():
    assert number_cell(1234.5678, 2) == "1,234.57"
    assert number_cell(-0.05, 1) == "-0.1"
    assert number_cell(float("nan"), 2) == "–"
    assert number_cell(None, 2) == "–"
    assert number_cell(38, 2) == "38"  # counts stay whole
    assert number_cell("2022/23", 1) == "2022/23"


def test_markdown_table_html_escapes_every_cell():
    lines = [
        "| district | note |",
        "|---|---:|",
        "| Gasabo | <script>alert(1)</script> |",
        "| Nyamagabe | a & b |",
    ]
    left, right = "style='text-align:left'", "style='text-align:right'"
    assert markdown_table_html(lines) == (
        f"<table><thead><tr><th {left}>district</th><th {right}>note</th></tr></thead><tbody>"
        f"<tr><td {left}>Gasabo</td><td {right}>&lt;script&gt;alert(1)&lt;/script&gt;</td></tr>"
        f"<tr><td {left}>Nyamagabe</td><td {right}>a &amp; b</td></tr></tbody></table>"
    )


def test_markdown_table_html_aligns_text_left_and_numbers_right_as_the_separator_says():
    html = markdown_table_html(
        ["| district | coverage (%) | flag |", "|---|---:|:---:|", "| Gasabo | 84.2 | x |"]
    )
    assert "<td style='text-align:left'>Gasabo</td>" in html
    assert "<td style='text-align:right'>84.2</td>" in html
    assert "<td style='text-align:center'>x</td>" in html


def test_identifiers_may_wrap_after_underscores():
    html = markdown_table_html(["| metric |", "|---|", "| coverage_reported_pct |"])
    assert ">coverage_<wbr>reported_<wbr>pct</td>" in html


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
