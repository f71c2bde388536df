"""The frames the comparisons read, built from a tiny hand-made marts schema (no dbt)."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import replace

import duckdb
import pandas as pd
import pytest

from tpn_metrics.dbt_vars import project_vars
from tpn_metrics.declared_tables import declared_tables
from tpn_metrics.evaluation.datasets import (
    accreditation_dataset,
    cbhi_dataset,
    weekly_panel,
)
from tpn_metrics.evaluation.periods import PeriodRules, nearest_report_date
from tpn_metrics.evaluation.runner import (
    evaluate,
    standard_datasets,
    uninsured_tables,
    write_tables,
)
from tpn_metrics.settings import Settings

# The dbt vars the product reads (dbt_project.yml), not numbers retyped here.
RULES = PeriodRules.from_vars(project_vars(Settings().dbt_project_dir))


@pytest.fixture
def con() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute(
        """
        create schema marts;
        create table marts.dim_hospital as select * from (values
            ('h1', 'Butaro Hospital', 'district'), ('h2', 'Kabaya Hospital', 'district'),
            ('h3', 'Ruhengeri Hospital', 'provincial'), ('h4', 'CHUK', 'referral'),
            ('h5', 'Nemba Hospital', 'district')
        ) t(hospital_id, hospital_name, hospital_category);
        create table marts.fct_accreditation as select * from (values
            ('h1', 2021, 50.0), ('h1', 2023, 60.0),
            ('h2', 2021, 70.0), ('h2', 2023, 70.0),
            ('h3', 2021, 65.0),
            ('h4', 2021, 90.0), ('h4', 2023, 95.0)
        ) t(hospital_id, survey_year, level_2_score_pct);
        alter table marts.fct_accreditation add column level_1_score_pct double;
        alter table marts.fct_accreditation add column level_3_score_pct double;
        create table marts.fct_tpn_focus as select * from (values
            ('hospital', 'h1', 'accreditation', true),
            ('hospital', 'h2', 'accreditation', false),
            ('hospital', 'h3', 'accreditation', true),
            ('district', 'd1', 'cbhi_enrollment', true),
            ('district', 'd2', 'cbhi_enrollment', false)
        ) t(entity_kind, entity_id, topic, is_focus);
        create table marts.dim_district as select * from (values
            ('d1', 'Gasabo'), ('d2', 'Nyanza')
        ) t(district_id, district_name);
        """
    )
    fridays = pd.date_range("2021-01-01", "2023-06-30", freq="W-FRI")
    rows = []
    for i, day in enumerate(fridays):
        rows.append(("d1", day.date(), 50.0 + i * 0.1, 55.0 + i * 0.1))
        rows.append(("d2", day.date(), 70.0 + i * 0.05, 65.0 + i * 0.05))
    frame = pd.DataFrame(
        rows,
        columns=["district_id", "report_date", "coverage_reported_pct", "coverage_corrected_pct"],
    )
    con.register("weekly_rows", frame)
    con.execute("create table marts.fct_cbhi_coverage_corrected as select * from weekly_rows")
    con.execute("create table marts.fct_cbhi_weekly as select * from weekly_rows")
    return con


def test_accreditation_frame_counts_missing_endline_and_keeps_categories(con):
    data = accreditation_dataset(con)
    frame = data.frame.set_index("institution_id")
    # h4 is a referral hospital: outside the default comparison; h5 was never surveyed.
    assert list(frame.index) == ["h1", "h2", "h3"]
    assert frame.loc["h1", "is_focus"] and not frame.loc["h2", "is_focus"]
    assert math.isnan(frame.loc["h3", "endline"])  # kept, to be counted as missing
    assert frame.loc["h1", "institution_name"] == "Butaro Hospital"  # for the report
    assert (data.baseline_label, data.endline_label) == ("2021", "2023")


def test_nearest_friday_report(con):
    # 2021-03-23 is a Tuesday: Friday 2021-03-26 is 3 days away, 2021-03-19 is 4.
    assert nearest_report_date(con, dt.date(2021, 3, 23)) == dt.date(2021, 3, 26)
    # Wednesday 2021-03-31 is 5 days after the 26th and 2 before 2 April.
    assert nearest_report_date(con, dt.date(2021, 3, 31)) == dt.date(2021, 4, 2)
    # Monday 2021-03-29 is 3 days after the 26th and 4 before 2 April.
    assert nearest_report_date(con, dt.date(2021, 3, 29)) == dt.date(2021, 3, 26)


def test_cbhi_frame_reads_the_nearest_reports(con):
    # The paper's dates: 23 March (dbt var cbhi_same_date) of 2021 and 2023.
    data = cbhi_dataset(con, baseline=dt.date(2021, 3, 23), endline=dt.date(2023, 3, 23))
    frame = data.frame.set_index("institution_id")
    fridays = list(pd.date_range("2021-01-01", "2023-06-30", freq="W-FRI").date)
    i0, i1 = fridays.index(dt.date(2021, 3, 26)), fridays.index(dt.date(2023, 3, 24))
    assert frame.loc["d1", "baseline"] == pytest.approx(50.0 + i0 * 0.1)
    assert frame.loc["d1", "endline"] == pytest.approx(50.0 + i1 * 0.1)
    assert frame.loc["d1", "is_focus"] and not frame.loc["d2", "is_focus"]


def test_weekly_panel_averages_13_reports_ending_at_each_date(con):
    panel = weekly_panel(con, "coverage_reported_pct", dt.date(2021, 3, 26), dt.date(2023, 3, 24))
    fridays = list(pd.date_range("2021-01-01", "2023-06-30", freq="W-FRI").date)
    i0 = fridays.index(dt.date(2021, 3, 26))
    # d1 rises 0.1 a week: the mean of 13 weeks ending at i0 is the value 6 weeks earlier.
    expected = 50.0 + (i0 - 6) * 0.1
    got = panel.set_index(["unit_id", "period"]).loc[("d1", 0), "value"]
    assert got == pytest.approx(expected)


def test_a_run_with_tiny_groups_warns_and_adds_the_did_row(con):
    run = evaluate(standard_datasets(con, rules=RULES), n_resamples=200)
    assert "did_weekly_panel" in set(run.tests["method"])
    assert any("below 5" in w or "not meaningful" in w for w in run.warnings["warning"])
    with pytest.raises(ValueError, match="no metric in the warehouse for topic hand_hygiene"):
        standard_datasets(con, rules=RULES, topics=("hand_hygiene",))


def test_an_accreditation_only_run_writes_every_table_with_its_declared_types(con):
    """Empty tables typed from the data reached DuckDB as type NULL, which publish refuses:
    every evaluation table is created from its declaration, empty or not."""
    run = evaluate(standard_datasets(con, rules=RULES, topics=("accreditation",)), n_resamples=100)
    run = replace(run, warnings=run.warnings.iloc[0:0])
    groups, districts = uninsured_tables(run)
    assert groups.empty and districts.empty
    counts = write_tables(con, run)
    assert counts["evaluation.eval_warnings"] == 0
    assert counts["evaluation.eval_uninsured_districts"] == 0
    assert counts["evaluation.eval_tests"] > 0
    declared = {n: t for n, t in declared_tables().items() if t.schema == "evaluation"}
    assert set(counts) == set(declared)
    for name, table in declared.items():
        on_file = con.execute(
            "select column_name, data_type from information_schema.columns "
            "where table_schema = ? and table_name = ? order by ordinal_position",
            [table.schema, table.name],
        ).fetchall()
        assert on_file == [(c.name, c.data_type.upper()) for c in table.columns], name
