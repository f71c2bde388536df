"""Evaluation of the DHIS2 service topics on hand-made marts (tests/.../service_marts.py)."""

from __future__ import annotations

import datetime as dt
import math

import duckdb
import pytest
from scipy import stats

from tests.tpn_metrics.evaluation.service_marts import build_service_marts
from tpn_metrics.dbt_vars import project_vars
from tpn_metrics.evaluation.periods import PeriodError, PeriodRules
from tpn_metrics.evaluation.runner import evaluable_datasets, evaluable_topics, evaluate
from tpn_metrics.evaluation.service_topics import (
    comparison_id,
    monthly_panel,
    service_datasets,
    service_months,
)
from tpn_metrics.evaluation.stats.parametric import z_test_within
from tpn_metrics.settings import Settings
from tpn_metrics.twinning.topics import load_topic_metrics

RULES = PeriodRules.from_vars(project_vars(Settings().dbt_project_dir))
METRICS = load_topic_metrics()


def metrics_of(topic: str):
    return tuple(m for m in METRICS if m.topic == topic)


@pytest.fixture
def con() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    build_service_marts(con)
    return con


def test_evaluable_topics_come_from_topics_yaml():
    assert evaluable_topics() == (
        "accreditation",
        "cbhi_enrollment",
        "anc_first_visit",
        "birth_asphyxia",
        "malnutrition",
        "stock_outs",
        "family_planning",
        "data_quality",
    )
    only_anc = tuple(m for m in METRICS if m.topic in ("anc_first_visit", "hand_hygiene"))
    assert evaluable_topics(only_anc) == ("anc_first_visit",)


def test_comparison_ids_name_topic_level_and_any_secondary_metric():
    anc, corrected = metrics_of("anc_first_visit")
    assert comparison_id(anc, "district") == "anc_first_visit_districts"
    assert comparison_id(anc, "hospital") == "anc_first_visit_hospitals"
    assert (
        comparison_id(corrected, "district")
        == "anc_first_visit_anc1_coverage_corrected_pct_districts"
    )


def test_default_months_are_the_launch_month_and_24_months_later(con):
    anc = metrics_of("anc_first_visit")[0]
    baseline, endline, b_label, e_label = service_months(con, anc, None, None, rules=RULES)
    assert (baseline, endline) == (dt.date(2021, 3, 1), dt.date(2023, 3, 1))
    assert (b_label, e_label) == ("2021-03", "2023-03")


def test_default_endline_falls_back_to_the_latest_month_and_says_so():
    con = duckdb.connect()
    build_service_marts(con, last=dt.date(2022, 12, 1))
    anc = metrics_of("anc_first_visit")[0]
    _b, endline, _bl, label = service_months(con, anc, None, None, rules=RULES)
    assert endline == dt.date(2022, 12, 1)
    assert label == "2022-12 (latest month with data; none for 2023-03)"


@pytest.mark.parametrize(
    ("start", "end", "message"),
    [
        (
            "2019-03",
            "2023-03",
            "no DHIS2 monthly data for anc1_coverage_pct in 2019-03: "
            "36 months are loaded, 2020-07 to 2023-06",
        ),
        ("2021-03", "2024-01", "no DHIS2 monthly data for anc1_coverage_pct in 2024-01"),
        ("2021", "2023-03", "give a month such as 2021-03, not '2021'"),
        ("2021-03-23", "2023-03", "give a month such as 2021-03"),
        ("2023-03", "2021-03", "--from 2023-03 is not before --to 2021-03"),
        ("2021-13", "2023-03", "not a real date"),
    ],
)
def test_a_month_the_warehouse_cannot_answer_is_refused_in_one_line(con, start, end, message):
    with pytest.raises(PeriodError, match=message.replace("(", r"\(").replace(")", r"\)")) as e:
        evaluable_datasets(con, topics=("anc_first_visit",), start=start, end=end, rules=RULES)
    assert "\n" not in str(e.value)


def test_without_the_mart_a_service_topic_is_skipped_on_default_periods():
    con = duckdb.connect()
    with pytest.raises(PeriodError, match=r"no marts\.fct_service_indicators"):
        service_datasets(con, metrics_of("malnutrition"), None, None, rules=RULES)


def test_anc_districts_frame_focus_names_and_the_hospital_level_left_out(con):
    datasets, left_out = service_datasets(
        con, metrics_of("anc_first_visit"), "2021-03", "2023-03", rules=RULES
    )
    assert [c for c, _d in datasets] == ["anc_first_visit_districts"]
    frame = datasets[0][1].frame.set_index("institution_id")
    assert frame["baseline"].to_dict() == {"d1": 40.0, "d2": 50.0, "d3": 45.0, "d4": 55.0}
    assert frame["endline"].to_dict() == {"d1": 52.0, "d2": 58.0, "d3": 47.0, "d4": 55.0}
    assert frame["is_focus"].to_dict() == {"d1": True, "d2": True, "d3": False, "d4": False}
    assert frame.loc["d1", "institution_name"] == "Gasabo"
    # h2, the one comparison hospital, stopped reporting after 2022-12; the corrected metric
    # has no rows at all: both are named, not silently dropped.
    assert dict(left_out) == {
        "anc_first_visit_hospitals": "no comparison institution has a value in both months "
        "(2021-03, 2023-03)",
        "anc_first_visit_anc1_coverage_corrected_pct": "no DHIS2 monthly data for "
        "anc1_coverage_corrected_pct in 2021-03: none are loaded",
    }
    dataset = datasets[0][1]
    assert dataset.title == "ANC first visit coverage (DHIS2 denominator), districts (DHMTs)"
    assert (dataset.difference_unit, dataset.higher_is_better) == ("pp", True)


def test_the_3_month_panel_is_a_ratio_of_sums(con):
    anc = metrics_of("anc_first_visit")[0]
    panel = monthly_panel(con, anc, "district", (dt.date(2021, 3, 1), dt.date(2023, 3, 1)))
    values = panel.set_index(["unit_id", "period"])["value"]
    # d3, 2023-01..03: (47 + 120 + 47) visits / (100 + 200 + 100) expected × 100 = 53.5 %,
    # not the mean of 47, 60 and 47 (51.3 %). The quarterly row of d1 is not read.
    assert values[("d3", 1)] == pytest.approx(53.5)
    assert values[("d1", 0)] == pytest.approx(40.0)
    assert values[("d1", 1)] == pytest.approx(52.0)
    assert set(panel.loc[panel["unit_id"] == "d1", "is_focus"]) == {True}


def test_anc_evaluation_matches_scipy_and_hand_computed_changes(con):
    datasets, _left = service_datasets(
        con, metrics_of("anc_first_visit"), "2021-03", "2023-03", rules=RULES
    )
    run = evaluate(datasets, n_resamples=200)
    ((_cid, _dataset, c),) = run.comparisons
    # Focus changes +12, +8 (mean 10); comparison +2, 0 (mean 1): difference 9 pp.
    assert c.focus.mean_change_pp == pytest.approx(10.0)
    assert c.comparison.mean_change_pp == pytest.approx(1.0)
    assert c.difference_pp == pytest.approx(9.0)
    welch = stats.ttest_ind([12, 8], [2, 0], equal_var=False, alternative="greater")
    tests = run.tests.set_index("method")
    assert tests.loc["welch_t", "p_value"] == pytest.approx(welch.pvalue)
    assert tests.loc["welch_t", "alternative"] == "greater"
    # The DiD on 3-month values: focus (52−40, 58−50), comparison (53.5−45, 55−55).
    assert tests.loc["did_monthly_panel", "estimate_pp"] == pytest.approx(10.0 - (8.5 + 0) / 2)
    assert "3-month values" in tests.loc["did_monthly_panel", "note"]


def test_birth_asphyxia_is_lower_is_better_per_1000_live_births(con):
    datasets, left_out = service_datasets(
        con, metrics_of("birth_asphyxia"), "2021-03", "2023-03", rules=RULES
    )
    assert [c for c, _d in datasets] == ["birth_asphyxia_hospitals"] and not left_out
    dataset = datasets[0][1]
    assert (dataset.difference_unit, dataset.higher_is_better) == ("per 1,000 live births", False)
    run = evaluate(datasets, n_resamples=500)
    ((_cid, _dataset, c),) = run.comparisons
    # Focus −10, −6 (mean −8); comparison −1, +1 (mean 0): the focus rate fell 8 per 1,000 more.
    assert c.difference_pp == pytest.approx(-8.0)
    assert c.focus.baseline_mean == pytest.approx(27.5)  # in the metric's own sign
    assert c.focus.n_improved == 2 and c.comparison.n_improved == 1  # improved = fell
    welch = stats.ttest_ind([-10, -6], [-1, 1], equal_var=False, alternative="less")
    tests = run.tests.set_index("method")
    assert tests.loc["welch_t", "p_value"] == pytest.approx(welch.pvalue)
    assert tests.loc["welch_t", "statistic"] == pytest.approx(welch.statistic)
    assert set(tests["alternative"]) <= {"less", "two-sided"}
    low, high = tests.loc["bootstrap_percentile", ["ci_low_pp", "ci_high_pp"]]
    assert low <= -8.0 <= high
    assert tests.loc["ancova", "estimate_pp"] < 0
    assert tests.loc["did_monthly_panel", "estimate_pp"] == pytest.approx(-8.0)
    groups = run.groups.set_index("group")
    assert groups.loc["focus", "unit"] == "per 1,000 live births"


def test_default_periods_skip_topics_without_data_and_name_them(con):
    datasets, skipped = evaluable_datasets(
        con, topics=("anc_first_visit", "birth_asphyxia", "stock_outs"), rules=RULES
    )
    assert [c for c, _d in datasets] == ["anc_first_visit_districts", "birth_asphyxia_hospitals"]
    reasons = dict(skipped)
    assert reasons["stock_outs"] == (
        "no DHIS2 monthly data for tracer_stockout_pct in 2021-03: none are loaded"
    )
    assert "anc_first_visit_hospitals" in reasons


def test_a_topic_with_no_comparable_level_is_refused_naming_why(con):
    con.execute(
        "delete from marts.fct_service_indicators "
        "where item_code = 'birth_asphyxia_per_1000' and hospital_id in ('h3', 'h4')"
    )
    with pytest.raises(PeriodError) as refused:
        evaluable_datasets(
            con, topics=("birth_asphyxia",), start="2021-03", end="2023-03", rules=RULES
        )
    assert str(refused.value) == (
        "nothing to compare for birth_asphyxia: birth_asphyxia_hospitals: no comparison "
        "institution has a value in both months (2021-03, 2023-03)"
    )


# Stock-outs of 15 tracer medicines, hospitals: DHIS2's exported value is rounded to 2 decimals.
# Focus h1 3 → 2 and h2 2 → 1 tracers out (each lost exactly one, −6.666… pp); comparison h3
# 1 → 1 (0) and h4 2 → 3 (+6.666… pp).
TRACERS_OUT = {"h1": (3, 2), "h2": (2, 1), "h3": (1, 1), "h4": (2, 3)}


def add_stock_outs(con: duckdb.DuckDBPyConnection) -> None:
    rows = []
    for hospital, (before, after) in TRACERS_OUT.items():
        for year, out in ((2021, before), (2023, after)):
            for number in (1, 2, 3):
                start = dt.date(year, number, 1)
                rows.append(
                    (
                        f"i_{hospital}",
                        "hospital",
                        f"d{hospital[1]}",
                        hospital,
                        "stock_outs",
                        "tracer_stockout_pct",
                        f"{year}{number:02d}",
                        "Monthly",
                        start,
                        start.replace(day=28),
                        round(out / 15 * 100, 2),  # DHIS2's rounded value: 6.67, 13.33, 20.0
                        float(out),
                        15.0,
                        100,
                        "exported",
                        None,
                    )
                )
    con.executemany(
        "insert into marts.fct_service_indicators values (" + ", ".join("?" * 16) + ")", rows
    )
    con.execute(
        "insert into marts.fct_tpn_focus values ('hospital', 'h1', 'stock_outs', true), "
        "('hospital', 'h2', 'stock_outs', true), ('hospital', 'h3', 'stock_outs', false), "
        "('hospital', 'h4', 'stock_outs', false)"
    )


def test_values_are_numerator_over_denominator_not_dhis2s_rounded_value(con):
    add_stock_outs(con)
    datasets, _left = service_datasets(
        con, metrics_of("stock_outs"), "2021-03", "2023-03", rules=RULES
    )
    ((cid, dataset),) = datasets
    assert cid == "stock_outs_hospitals"
    frame = dataset.frame.set_index("institution_id")
    # 2 of 15 tracers = 13.333… %, not DHIS2's 13.33; 1 of 15 = 6.666… %, not 6.67.
    assert frame.loc["h2", "baseline"] == pytest.approx(200 / 15, rel=1e-12)
    assert frame.loc["h2", "endline"] == pytest.approx(100 / 15, rel=1e-12)
    assert abs(frame.loc["h2", "endline"] - 6.67) > 0.003
    assert frame.loc["h1", "baseline"] == pytest.approx(20.0)
    panel = dataset.panel.set_index(["unit_id", "period"])["value"]
    assert panel[("h2", 1)] == pytest.approx(100 / 15, rel=1e-12)


def test_equal_changes_stay_equal_so_the_within_group_z_does_not_explode(con):
    add_stock_outs(con)
    datasets, _left = service_datasets(
        con, metrics_of("stock_outs"), "2021-03", "2023-03", rules=RULES
    )
    run = evaluate(datasets, n_resamples=200)
    ((_cid, _dataset, c),) = run.comparisons
    # Both focus hospitals lost exactly one tracer: −100/15 pp each, no spread at all.
    assert c.focus.mean_change_pp == pytest.approx(-100 / 15, rel=1e-12)
    assert c.focus.sd_change_pp == 0.0
    tests = run.tests.set_index("method")
    assert math.isnan(tests.loc["z_within_focus", "statistic"])
    assert "all changes are equal" in tests.loc["z_within_focus", "note"]
    # DHIS2's rounded values give changes −6.67 (20.0 → 13.33) and −6.66 (13.33 → 6.67): a
    # spread of 0.005 pp standard error and a z of 6.665 / 0.005 = 1333 (mirrored: fell more).
    rounded = z_test_within([20.0 - 13.33, 13.33 - 6.67])
    assert rounded.statistic == pytest.approx(1333.0, rel=1e-9)
    # Welch by hand: focus −100/15 twice (variance 0), comparison 0 and +100/15 (variance
    # (100/15)² / 2): difference −150/15 = −10, standard error √((100/15)² / 4) = 100/30,
    # t = −3.0 on 1 degree of freedom (all the variance is the comparison group's).
    assert tests.loc["welch_t", "statistic"] == pytest.approx(-3.0)
    assert tests.loc["welch_t", "df"] == pytest.approx(1.0)
    assert tests.loc["welch_t", "p_value"] == pytest.approx(stats.t.cdf(-3.0, 1))
