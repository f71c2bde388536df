"""The generated SQL of a service-indicator topic, on a hand-made fct_service_indicators.

Values are checked against sums done by hand: a ratio of 12-month sums (never a mean of
monthly rates) when DHIS2 gave numerators and denominators, the mean of the monthly values
otherwise (each month numerator / denominator × factor where DHIS2 gave both: its ``value``
is rounded).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from tpn_metrics.settings import Settings
from tpn_metrics.twinning.service_sql import (
    DERIVED_ITEM_CODES,
    measure_item_codes,
    service_indicator_sql,
)
from tpn_metrics.twinning.topics import TopicMetric
from tpn_metrics.twinning.warehouse import read_metric_values

SERVICE_COLUMNS = (
    "institution_id varchar, institution_kind varchar, district_id varchar, hospital_id varchar, "
    "topic varchar, item_code varchar, period_id varchar, period_type varchar, "
    "period_start date, period_end date, value double, numerator double, denominator double, "
    "factor integer, value_source varchar, facilities_rolled_up integer"
)


def month(year: int, number: int) -> tuple[str, dt.date, dt.date]:
    start = dt.date(year, number, 1)
    end = (pd.Timestamp(start) + pd.offsets.MonthEnd(0)).date()
    return f"{year}{number:02d}", start, end


def months(first: tuple[int, int], count: int) -> list[tuple[str, dt.date, dt.date]]:
    year, number = first
    found = []
    for _ in range(count):
        found.append(month(year, number))
        year, number = (year + 1, 1) if number == 12 else (year, number + 1)
    return found


def service_row(
    kind: str,
    district: str,
    hospital: str | None,
    period: tuple[str, dt.date, dt.date],
    value: float,
    numerator: float | None = None,
    denominator: float | None = None,
    *,
    code: str = "anc1_coverage_pct",
    factor: int = 100,
    period_type: str = "Monthly",
) -> tuple[object, ...]:
    institution = f"i_{hospital or district}"
    return (
        institution,
        kind,
        district,
        hospital,
        "anc_first_visit",
        code,
        period[0],
        period_type,
        period[1],
        period[2],
        value,
        numerator,
        denominator,
        factor,
        "exported",
        None,
    )


@pytest.fixture
def con() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("create schema marts; create schema staging")
    con.execute(
        """
        create table marts.dim_institution as select * from (values
            ('i_d1', 'D1 DHMT', 'district', 'd1', null),
            ('i_d2', 'D2 DHMT', 'district', 'd2', null),
            ('i_h1', 'H1 Hospital', 'hospital', 'd1', 'h1')
        ) t(institution_id, institution_name, institution_kind, district_id, hospital_id);
        create table staging.stg_tpn_registry__events as select * from (values
            ('launch_workshop', date '2021-03-23')
        ) t(event_kind, event_date);
        """
    )
    con.execute(f"create table marts.fct_service_indicators ({SERVICE_COLUMNS})")
    return con


def insert(con: duckdb.DuckDBPyConnection, rows: list[tuple[object, ...]]) -> None:
    con.executemany(
        "insert into marts.fct_service_indicators values (" + ", ".join("?" * 16) + ")", rows
    )


def metric(code: str = "anc1_coverage_pct") -> TopicMetric:
    return TopicMetric(
        topic="anc_first_visit",
        metric=code,
        sql=service_indicator_sql(code),
        launch_sql=service_indicator_sql(code, at_launch=True),
        service_indicator=code,
    )


def test_twelve_months_of_numerators_and_denominators_give_a_ratio_of_sums(con):
    # d1: 13 months 2022-06..2023-06; the window is the last 12 (2022-07..2023-06).
    # Numerators 10, 11, ..., 22 over denominators 20 each; the June 2022 row (10/20) is out.
    periods = months((2022, 6), 13)
    rows = [
        service_row("district", "d1", None, p, (10 + i) / 20 * 100, 10 + i, 20)
        for i, p in enumerate(periods)
    ]
    # One month with a larger denominator: a mean of rates would weigh it like the others.
    rows[-1] = service_row("district", "d1", None, periods[-1], 22 / 200 * 100, 22, 200)
    insert(con, rows)
    values = read_metric_values(con, metric()).set_index("institution_id")
    numerators = sum(range(11, 23))  # 11 + ... + 22 = 198
    denominators = 11 * 20 + 200  # 420
    assert values.loc["i_d1", "value"] == pytest.approx(numerators / denominators * 100)
    assert values.loc["i_d1", "value"] == pytest.approx(47.142857, abs=1e-6)
    assert values.loc["i_d1", "as_of"] == "2022-07..2023-06, 12 months"


def test_values_without_numerators_are_averaged_and_short_series_say_so(con):
    window = months((2022, 7), 12)
    insert(con, [service_row("district", "d1", None, p, 50.0, 5, 10) for p in window])
    # h1 reported only the last 10 months, as percentages without components.
    hospital = [
        service_row("hospital", "d1", "h1", p, 60.0 + i, code="anc1_coverage_pct")
        for i, p in enumerate(window[2:])
    ]
    # d2 gave components in all but one month: the mean of its values, not a partial ratio.
    district = [service_row("district", "d2", None, p, 40.0, 4, 10) for p in window]
    district[0] = service_row("district", "d2", None, window[0], 70.0)
    insert(con, hospital + district)
    values = read_metric_values(con, metric()).set_index("institution_id")
    assert values.loc["i_h1", "value"] == pytest.approx(sum(60.0 + i for i in range(10)) / 10)
    assert values.loc["i_h1", "as_of"] == "2022-09..2023-06, 10 of 12 months"
    assert values.loc["i_d2", "value"] == pytest.approx((70.0 + 11 * 40.0) / 12)
    assert values.loc["i_d1", "value"] == pytest.approx(50.0)


def test_a_mean_of_monthly_values_uses_numerators_not_dhis2s_rounded_value(con):
    # d1: one month without components (70 %), 11 months of 1 stock-out of 15 tracers, which
    # DHIS2 rounds to 6.67: the mean is (70 + 11 × 100/15) / 12 = 11.9444…, not (70 + 11 ×
    # 6.67) / 12 = 11.9475 (a partial ratio of sums would be 11 / 165 × 100 = 6.67).
    window = months((2022, 7), 12)
    rows = [service_row("district", "d1", None, p, 6.67, 1, 15) for p in window[1:]]
    insert(con, [service_row("district", "d1", None, window[0], 70.0), *rows])
    values = read_metric_values(con, metric()).set_index("institution_id")
    assert values.loc["i_d1", "value"] == pytest.approx((70 + 11 * 100 / 15) / 12, rel=1e-12)
    assert values.loc["i_d1", "value"] == pytest.approx(11.944444, abs=1e-6)


def test_quarterly_rows_other_items_and_unregistered_institutions_are_ignored(con):
    window = months((2022, 7), 12)
    insert(con, [service_row("district", "d1", None, p, 50.0, 5, 10) for p in window])
    quarter = ("2023Q2", dt.date(2023, 4, 1), dt.date(2023, 6, 30))
    insert(
        con,
        [
            service_row("district", "d1", None, quarter, 99.0, 99, 100, period_type="Quarterly"),
            service_row("district", "d1", None, window[-1], 1.0, 1, 100, code="sam_cure_rate_pct"),
            service_row("hospital", "d9", "h9", window[-1], 80.0, 8, 10),  # not in the registry
        ],
    )
    values = read_metric_values(con, metric())
    assert values.to_dict("records") == [
        {"institution_id": "i_d1", "value": 50.0, "as_of": "2022-07..2023-06, 12 months"}
    ]


def test_launch_values_use_the_months_that_ended_before_the_workshop(con):
    # 2020-01..2021-06; the workshop of 23 March 2021 knew the months up to February 2021:
    # the 12 months 2020-03..2021-02, numerators 2..13 over 10 each.
    periods = months((2020, 1), 18)
    insert(
        con,
        [service_row("district", "d1", None, p, i * 10.0, i, 10) for i, p in enumerate(periods)],
    )
    then = read_metric_values(con, metric(), at_launch=True).set_index("institution_id")
    assert then.loc["i_d1", "value"] == pytest.approx(sum(range(2, 14)) / 120 * 100)
    assert then.loc["i_d1", "as_of"] == "2020-03..2021-02, 12 months"
    now = read_metric_values(con, metric()).set_index("institution_id")
    assert now.loc["i_d1", "as_of"] == "2020-07..2021-06, 12 months"


def test_a_warehouse_without_the_mart_measures_no_one():
    con = duckdb.connect()
    assert read_metric_values(con, metric()).empty


def test_the_codes_a_topic_may_name_are_the_seeds_measures(tmp_path: Path):
    codes = measure_item_codes(Settings().seeds_dir / "dhis2_data_items.csv")
    assert {"anc1_coverage_pct", "birth_asphyxia_per_1000", "hmis_reporting_rate_pct"} <= codes
    assert "hmis_reporting_rate_on_time_pct" in codes
    assert codes >= DERIVED_ITEM_CODES
    # Components (data elements, actual/expected report counts) are not measures.
    assert not {"anc1_visits", "live_births", "hmis_expected_reports"} & codes


def test_an_item_code_that_is_not_an_identifier_is_refused():
    with pytest.raises(ValueError, match="is not an item code"):
        service_indicator_sql("x'; drop table marts.dim_institution; --")
