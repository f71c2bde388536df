"""tpn_metrics.reports.report_blocks: one list of blocks, rendered as Markdown and as HTML."""

from __future__ import annotations

from tpn_metrics.reports.report_blocks import Block, to_html, to_markdown

PNG = b"\x89PNG\r\n\x1a\nnot-really"


def _never() -> bytes:
    raise AssertionError("Markdown must not render images")


def test_markdown_has_one_paragraph_per_block_and_no_image():
    blocks = [
        Block("h2", "Results"),
        Block("lead", "Focus districts rose 4.1 pp more."),
        Block("table", lines=("| a | b |", "|---|---:|", "| x | 1 |")),
        Block("warn", "few institutions"),
        Block("ul", lines=("one", "two")),
        Block("img", "chart", png=_never),
        Block("raw", "**corrections**", html="<b>corrections</b>"),
    ]
    assert to_markdown(blocks) == (
        "## Results\n\nFocus districts rose 4.1 pp more.\n\n"
        "| a | b |\n|---|---:|\n| x | 1 |\n\n> ⚠ few institutions\n\n"
        "- one\n- two\n\n**corrections**\n"
    )


def test_html_escapes_text_inlines_images_and_keeps_raw_html():
    html = to_html(
        [
            Block("p", "a < b & 'c'"),
            Block("ul", lines=("<i>x</i>",)),
            Block("img", "reported & corrected", png=lambda: PNG),
            Block("raw", "ignored in HTML", html="<b>kept</b>"),
        ]
    ).split("\n")
    assert html[0] == "<p>a &lt; b &amp; &#x27;c&#x27;</p>"
    assert html[1] == "<ul><li>&lt;i&gt;x&lt;/i&gt;</li></ul>"
    assert html[2].startswith("<img alt='reported &amp; corrected' src='data:image/png;base64,")
    assert html[3] == "<b>kept</b>"


def test_an_image_without_png_renders_nothing():
    assert to_html([Block("img", "no chart")]) == ""
