"""Hand-made DHIS2 marts for the service-topic evaluation tests (no dbt, no ingest).

marts.fct_service_indicators has exactly the columns of the contract (DHIS2-SPEC.md, dbt's
fct_service_indicators); marts.fct_tpn_focus, dim_district and dim_hospital the columns the
evaluation reads. Monthly rows 2020-07..2023-06 (the sample's span), plus quarterly rows that
must be ignored.

ANC first visit coverage (anc1_coverage_pct, factor 100, denominator 100 a month), districts:

| district | focus | value to 2021-03 | from 2021-04 | change |
|---|---|---:|---:|---:|
| d1 Gasabo | yes | 40 | 52 | +12 |
| d2 Nyanza | yes | 50 | 58 | +8 |
| d3 Rusizi | no | 45 | 47 | +2 |
| d4 Musanze | no | 55 | 55 | 0 |

d3 in 2023-02 reports 120 visits over 200 expected (60 %): a 3-month ratio of sums to 2023-03
is (47 + 120 + 47) / 400 = 53.5 %, the mean of the monthly values would be 51.3 %.
Hospitals on ANC: h1 (focus) every month, h2 (not focus) only up to 2022-12: no comparison
hospital has both months, so no hospital comparison.

Birth asphyxia per 1,000 live births (factor 1000, 400 live births a month), hospitals:

| hospital | focus | to 2021-03 | from 2021-04 | change |
|---|---|---:|---:|---:|
| h1 Butaro | yes | 30 | 20 | −10 |
| h2 Kabgayi | yes | 25 | 19 | −6 |
| h3 Kibogora | no | 20 | 19 | −1 |
| h4 Nemba | no | 28 | 29 | +1 |
"""

from __future__ import annotations

import datetime as dt

import duckdb
import pandas as pd

SERVICE_COLUMNS = (
    "institution_id varchar, institution_kind varchar, district_id varchar, hospital_id varchar, "
    "topic varchar, item_code varchar, period_id varchar, period_type varchar, "
    "period_start date, period_end date, value double, numerator double, denominator double, "
    "factor integer, value_source varchar, facilities_rolled_up integer"
)
LAUNCH = dt.date(2021, 3, 1)
FIRST, LAST = dt.date(2020, 7, 1), dt.date(2023, 6, 1)

ANC_DISTRICTS = {"d1": (40, 12), "d2": (50, 8), "d3": (45, 2), "d4": (55, 0)}
ASPHYXIA_HOSPITALS = {"h1": (30, -10), "h2": (25, -6), "h3": (20, -1), "h4": (28, 1)}
HOSPITAL_DISTRICT = {"h1": "d1", "h2": "d2", "h3": "d3", "h4": "d4"}


def month_starts(first: dt.date = FIRST, last: dt.date = LAST) -> list[dt.date]:
    return [d.date() for d in pd.date_range(first, last, freq="MS")]


def _row(kind, district, hospital, topic, code, start, value, num, den, factor, period="M"):
    end = (pd.Timestamp(start) + pd.offsets.MonthEnd(0)).date()
    period_id, period_type = f"{start:%Y%m}", "Monthly"
    if period == "Q":
        end = (pd.Timestamp(start) + pd.offsets.QuarterEnd(0)).date()
        period_id, period_type = f"{start.year}Q{(start.month - 1) // 3 + 1}", "Quarterly"
    return (
        f"i_{hospital or district}",
        kind,
        district,
        hospital,
        topic,
        code,
        period_id,
        period_type,
        start,
        end,
        value,
        num,
        den,
        factor,
        "exported",
        None,
    )


def service_rows(last: dt.date = LAST) -> list[tuple[object, ...]]:
    rows = []
    for start in month_starts(FIRST, last):
        after = start > LAUNCH
        for district, (base, gain) in ANC_DISTRICTS.items():
            value = base + (gain if after else 0)
            num, den = float(value), 100.0
            if district == "d3" and start == dt.date(2023, 2, 1):
                num, den, value = 120.0, 200.0, 60
            rows.append(
                _row(
                    "district",
                    district,
                    None,
                    "anc_first_visit",
                    "anc1_coverage_pct",
                    start,
                    float(value),
                    num,
                    den,
                    100,
                )
            )
        rows.append(
            _row(
                "hospital",
                "d1",
                "h1",
                "anc_first_visit",
                "anc1_coverage_pct",
                start,
                70.0,
                None,
                None,
                100,
            )
        )
        if start <= dt.date(2022, 12, 1):
            rows.append(
                _row(
                    "hospital",
                    "d2",
                    "h2",
                    "anc_first_visit",
                    "anc1_coverage_pct",
                    start,
                    65.0,
                    None,
                    None,
                    100,
                )
            )
        for hospital, (base, change) in ASPHYXIA_HOSPITALS.items():
            rate = base + (change if after else 0)
            rows.append(
                _row(
                    "hospital",
                    HOSPITAL_DISTRICT[hospital],
                    hospital,
                    "birth_asphyxia",
                    "birth_asphyxia_per_1000",
                    start,
                    float(rate),
                    rate * 0.4,
                    400.0,
                    1000,
                )
            )
    # A quarterly row in the baseline month's quarter: never read by a monthly evaluation.
    rows.append(
        _row(
            "district",
            "d1",
            None,
            "anc_first_visit",
            "anc1_coverage_pct",
            dt.date(2021, 1, 1),
            99.0,
            99.0,
            100.0,
            100,
            period="Q",
        )
    )
    return rows


def build_service_marts(con: duckdb.DuckDBPyConnection, last: dt.date = LAST) -> None:
    """Create the marts above in ``con`` (months up to ``last``)."""
    con.execute("create schema if not exists marts")
    con.execute(
        """
        create or replace table marts.dim_district as select * from (values
            ('d1', 'Gasabo'), ('d2', 'Nyanza'), ('d3', 'Rusizi'), ('d4', 'Musanze')
        ) t(district_id, district_name);
        create or replace table marts.dim_hospital as select * from (values
            ('h1', 'Butaro Hospital', 'd1', 'district'),
            ('h2', 'Kabgayi Hospital', 'd2', 'district'),
            ('h3', 'Kibogora Hospital', 'd3', 'district'),
            ('h4', 'Nemba Hospital', 'd4', 'district')
        ) t(hospital_id, hospital_name, district_id, hospital_category);
        create or replace table marts.fct_tpn_focus as select * from (values
            ('district', 'd1', 'anc_first_visit', true),
            ('district', 'd2', 'anc_first_visit', true),
            ('district', 'd3', 'anc_first_visit', false),
            ('hospital', 'h1', 'anc_first_visit', true),
            ('hospital', 'h2', 'anc_first_visit', false),
            ('hospital', 'h1', 'birth_asphyxia', true),
            ('hospital', 'h2', 'birth_asphyxia', true),
            ('hospital', 'h3', 'birth_asphyxia', false),
            ('hospital', 'h4', 'birth_asphyxia', false)
        ) t(entity_kind, entity_id, topic, is_focus);
        """
    )
    con.execute(f"create or replace table marts.fct_service_indicators ({SERVICE_COLUMNS})")
    con.executemany(
        "insert into marts.fct_service_indicators values (" + ", ".join("?" * 16) + ")",
        service_rows(last),
    )
