"""tpn_metrics.reports.markdown_tables: table cells and Markdown pipe tables as HTML."""

from __future__ import annotations

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
