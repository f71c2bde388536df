"""Hand-built data-quality marts with exactly the columns of the contract (/work/wt/DQ-SPEC.md,
docs/data_quality.md), for unit tests that must not wait for dbt.

The week of 2023-03-24 has three districts in its file of three expected: Gasabo on time with
a spike (members paid +41,200 against a median weekly rise of 3,040), Kicukiro late (2.5 days
after the Friday) and its coverage rate 3.2 pp off its own counts, Nyarugenge clean but without
earlier years (consistency not applicable) and loaded on time. The week of 2023-03-17 is clean.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb

REPORTS_DDL = """
create schema if not exists marts;
create table marts.fct_dq_cbhi_district_reports (
    district_id varchar, report_date date, fiscal_year varchar, week_of_fiscal_year integer,
    is_district_reported boolean, districts_in_file integer,
    required_fields_filled_pct double, optional_fields_filled_pct double,
    delivered_at timestamp, due_at timestamp, days_after_report_date double,
    timeliness_status varchar, members_paid_increment bigint, increment_median double,
    increment_mad double, increment_points integer, modified_z_score double,
    is_outlier boolean, is_negative_increment boolean, coverage_reported_pct double,
    earlier_years_mean_pct double, earlier_years_count integer, consistency_ratio double,
    is_consistency_flagged boolean, coverage_rate_as_received_pct double,
    coverage_recomputed_pct double, coverage_rate_gap_pp double,
    is_coverage_rate_inconsistent boolean, members_per_household double,
    is_household_size_implausible boolean, is_payments_inconsistent boolean,
    is_target_stale boolean, target_growth_pct double, projected_growth_pct double,
    is_target_growth_implausible boolean, flag_count integer
);
create table marts.fct_dq_flags (
    flag_id varchar, source varchar, district_id varchar, hospital_id varchar,
    report_date date, survey_year integer, dimension varchar, measure varchar,
    observed_value double, expected_value double, unit varchar, detail varchar
);
create table marts.fct_dq_accreditation_surveys (
    survey_year integer, hospitals_expected integer, hospitals_surveyed integer,
    completeness_pct double, score_changes_flagged integer
);
create table marts.fct_dq_accreditation_hospitals (
    hospital_id varchar, survey_year integer, district_id varchar,
    level_2_change_pp double, is_score_change_flagged boolean
);
"""

DIM_DISTRICT_DDL = """
create schema if not exists marts;
create table if not exists marts.dim_district (
    district_id varchar, district_name varchar, province varchar
);
insert into marts.dim_district values
    ('gasabo', 'Gasabo', 'Kigali City'), ('kicukiro', 'Kicukiro', 'Kigali City'),
    ('nyarugenge', 'Nyarugenge', 'Kigali City');
"""

WEEK = dt.date(2023, 3, 24)
EARLIER_WEEK = dt.date(2023, 3, 17)


def _report(district: str, day: dt.date, **values: object) -> dict[str, object]:
    """A clean, on-time row; ``values`` override columns."""
    row: dict[str, object] = {
        "district_id": district,
        "report_date": day,
        "fiscal_year": "2022/23",
        "week_of_fiscal_year": 37 if day == WEEK else 36,
        "is_district_reported": True,
        "districts_in_file": 3,
        "required_fields_filled_pct": 100.0,
        "optional_fields_filled_pct": 100.0,
        "delivered_at": dt.datetime.combine(day, dt.time(16)),
        "due_at": dt.datetime.combine(day + dt.timedelta(days=1), dt.time(10)),
        "days_after_report_date": 0.7,
        "timeliness_status": "on_time",
        "members_paid_increment": 3_100,
        "increment_median": 3_040.0,
        "increment_mad": 200.0,
        "increment_points": 12,
        "modified_z_score": 0.17,
        "is_outlier": False,
        "is_negative_increment": False,
        "coverage_reported_pct": 80.0,
        "earlier_years_mean_pct": 78.0,
        "earlier_years_count": 3,
        "consistency_ratio": 80.0 / 78.0,
        "is_consistency_flagged": False,
        "coverage_rate_as_received_pct": 80.0,
        "coverage_recomputed_pct": 80.0,
        "coverage_rate_gap_pp": 0.0,
        "is_coverage_rate_inconsistent": False,
        "members_per_household": 4.3,
        "is_household_size_implausible": False,
        "is_payments_inconsistent": None,
        "is_target_stale": False,
        "target_growth_pct": 2.1,
        "projected_growth_pct": 2.3,
        "is_target_growth_implausible": False,
        "flag_count": 0,
    }
    row.update(values)
    return row


REPORTS = [
    _report("gasabo", EARLIER_WEEK),
    _report("kicukiro", EARLIER_WEEK),
    _report("nyarugenge", EARLIER_WEEK),
    _report(
        "gasabo",
        WEEK,
        members_paid_increment=41_200,
        modified_z_score=0.6745 * (41_200 - 3_040) / 200.0,
        is_outlier=True,
        flag_count=1,
    ),
    _report(
        "kicukiro",
        WEEK,
        days_after_report_date=2.5,
        timeliness_status="late",
        coverage_rate_as_received_pct=83.2,
        coverage_rate_gap_pp=3.2,
        is_coverage_rate_inconsistent=True,
        flag_count=2,
    ),
    _report(
        "nyarugenge",
        WEEK,
        earlier_years_mean_pct=None,
        earlier_years_count=0,
        consistency_ratio=None,
    ),
]

FLAGS = [
    (
        "f1", "rssb_weekly", "gasabo", None, WEEK, None, "outliers", "members_paid_increment",
        41_200.0, 3_040.0, "members",
        "Members paid rose by 41,200 this week; the median weekly rise over the previous 12 "
        "reports is 3,040 (modified z-score 128.7).",
    ),
    (
        "f2", "rssb_weekly", "kicukiro", None, WEEK, None, "timeliness", "late_file",
        2.5, 1.0, "days", "The file was delivered 2.5 days after the Friday it reports.",
    ),
    (
        "f3", "rssb_weekly", "kicukiro", None, WEEK, None, "internal_consistency", "coverage_rate",
        83.2, 80.0, "percent",
        "RSSB's coverage_rate is 83.2% but members paid / target gives 80.0% (3.2 pp apart).",
    ),
    (
        "f4", "accreditation", "gasabo", "H001", None, 2023, "outliers", "score_change",
        41.0, 30.0, "pp", "Level-2 score changed by 41.0 pp between surveys (threshold 30).",
    ),
]  # fmt: skip


def build_dq_marts(path: Path, *, with_rows: bool = True) -> Path:
    """A DuckDB file at ``path`` with dim_district and the data-quality marts (empty when
    ``with_rows`` is False); returns ``path``."""
    with duckdb.connect(str(path)) as con:
        con.execute(DIM_DISTRICT_DDL)
        con.execute(REPORTS_DDL)
        if with_rows:
            columns = list(REPORTS[0])
            con.executemany(
                f"insert into marts.fct_dq_cbhi_district_reports ({', '.join(columns)}) "
                f"values ({', '.join('?' for _ in columns)})",
                [[row[c] for c in columns] for row in REPORTS],
            )
            con.executemany(
                f"insert into marts.fct_dq_flags values ({', '.join('?' * 12)})".replace(
                    "?" * 12, ", ".join("?" for _ in range(12))
                ),
                FLAGS,
            )
    return path
