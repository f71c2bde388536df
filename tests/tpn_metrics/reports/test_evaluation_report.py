"""The evaluation report with DHIS2 service comparisons (issue #22): each listed under its
own title, differences in pp for percentages and per 1,000 live births for birth asphyxia, a
fall read as the improvement where lower is better, and skipped topics named."""

from __future__ import annotations

import duckdb
import pytest

from tests.tpn_metrics.evaluation.service_marts import build_service_marts
from tpn_metrics.dbt_vars import project_vars
from tpn_metrics.evaluation.headline import headline_text, headlines
from tpn_metrics.evaluation.periods import PeriodRules
from tpn_metrics.evaluation.runner import evaluable_datasets, evaluate
from tpn_metrics.reports.evaluation_report import render_html, render_markdown
from tpn_metrics.settings import Settings

RULES = PeriodRules.from_vars(project_vars(Settings().dbt_project_dir))


@pytest.fixture(scope="module")
def run():  # type: ignore[no-untyped-def]
    con = duckdb.connect()
    build_service_marts(con)
    datasets, skipped = evaluable_datasets(
        con, topics=("anc_first_visit", "birth_asphyxia", "stock_outs"), rules=RULES
    )
    return evaluate(datasets, n_resamples=200, skipped=skipped)


def test_headlines_carry_each_comparisons_unit(run):
    by_id = {h.comparison_id: h for h in headlines(run)}
    anc, asphyxia = by_id["anc_first_visit_districts"], by_id["birth_asphyxia_hospitals"]
    assert anc.unit == "percentage points" and anc.focus == "+10.0 pp (n = 2)"
    assert asphyxia.unit == "per 1,000 live births"
    assert asphyxia.focus == "−8.0 per 1,000 live births (n = 2)"
    assert asphyxia.comparison == "+0.0 per 1,000 live births (n = 2)"
    assert not asphyxia.higher_is_better
    line = headline_text(asphyxia)
    assert line.startswith("Newborns with birth asphyxia, hospitals (2021-03 → 2023-03)")
    assert "per 1,000 live births" in line and "percentage points" not in line


def test_markdown_lists_the_service_comparisons_with_their_units(run):
    text = render_markdown(run)
    assert "## ANC first visit coverage (DHIS2 denominator), districts (DHMTs)" in text
    assert "## Newborns with birth asphyxia, hospitals" in text
    assert "| mean change (per 1,000 live births) |" in text
    assert "| method | estimate (per 1,000 live births) |" in text
    assert "−8.00 per 1,000 live births" in text or "-8.00 per 1,000 live births" in text
    assert "Lower is better here: an improvement is a fall" in text
    assert "difference-in-differences on 3-month values" in text
    assert "| mean change (pp) |" in text  # the ANC comparison stays in pp
    # Topics and levels that could not be compared are named, not dropped silently.
    assert "stock_outs not evaluated: no DHIS2 monthly data for tracer_stockout_pct" in text
    assert "anc_first_visit_hospitals not evaluated: no comparison institution" in text
    assert "districts with anc first visit as their TPN focus" in text


def test_html_renders_the_service_comparisons(run):
    html = render_html(run)
    assert "Newborns with birth asphyxia, hospitals" in html
    assert html.count("<img") >= 4  # a slope plot and a changes plot per comparison
