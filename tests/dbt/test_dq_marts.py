"""The data-quality marts (issue #21) built by dbt on a small landing data set, against values
computed by hand.

Every district of the seeds reports 11 Fridays of fiscal year 2023/24 (weeks 1-11) and week 11
of 2022/23. Members paid start at 10,000 and rise by 1,000, 1,100, 900, 1,000, 1,050, 950,
1,000, 1,000, 1,000, 1,000 in weeks 2-11, with these anomalies written in:

- gasabo rises by 5,000 in week 10 (2023-09-08): a spike;
- musanze falls by 500 in week 9 (2023-09-01): an RSSB correction;
- kicukiro is missing from week 5's file (2023-08-04);
- week 3's file (2023-07-21) arrived Monday 09:00 UTC, after its deadline Saturday 10:00 UTC;
  week 2's first file came on time and a correction of it late; week 11's file was loaded by
  a backfill; week 1's file has no delivery time (an older ledger row);
- gasabo's coverage_rate in week 4 (2023-07-28) is 3.0 pp above its own counts;
- nyarugenge paid 8 members per household in week 6 (2023-08-11);
- gasabo's coverage at week 11 of 2022/23 was half of 2023/24's;
- kibagabaga hospital's level-2 score rose 40.0 -> 75.0 (+35 pp); ruhengeri was surveyed in
  2022 and not in 2023.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import duckdb
import pytest

from tpn_metrics.dbt_runner import DbtBuildError, build_arguments, run_dbt
from tpn_metrics.lateness import FileDeadline
from tpn_metrics.settings import Settings
from tpn_metrics.warehouse import ensure_landing_schema, open_warehouse

pytestmark = pytest.mark.slow

FRIDAYS = [date(2023, 7, 7) + timedelta(weeks=n) for n in range(11)]  # weeks 1-11 of 2023/24
EARLIER_WEEK_11 = date(2022, 9, 9)  # week 11 of 2022/23 (its first Friday is 1 July 2022)
INCREMENTS = [1_000, 1_100, 900, 1_000, 1_050, 950, 1_000, 1_000, 1_000, 1_000]  # weeks 2-11
TARGET = 100_000
SPIKE = ("gasabo", date(2023, 9, 8), 5_000)
CORRECTION = ("musanze", date(2023, 9, 1), -500)
MISSING = ("kicukiro", date(2023, 8, 4))
LATE_WEEK = date(2023, 7, 21)
LATE_DELIVERY = datetime(2023, 7, 24, 9, 0)
BACKFILLED_WEEK = FRIDAYS[-1]
UNKNOWN_WEEK = FRIDAYS[0]
RATE_GAP = ("gasabo", date(2023, 7, 28), 3.0)
BIG_HOUSEHOLDS = ("nyarugenge", date(2023, 8, 11))


def _districts(settings: Settings) -> list[str]:
    with (settings.seeds_dir / "districts.csv").open(encoding="utf-8") as handle:
        return [row["district_id"] for row in csv.DictReader(handle)]


def _hospital_districts(settings: Settings) -> dict[str, str]:
    with (settings.seeds_dir / "hospitals.csv").open(encoding="utf-8") as handle:
        return {row["hospital_id"]: row["district_id"] for row in csv.DictReader(handle)}


def _members(district_id: str) -> dict[date, int]:
    members, running = {}, 10_000
    for week, friday in enumerate(FRIDAYS):
        if week > 0:
            increment = INCREMENTS[week - 1]
            for name, when, special in (SPIKE, CORRECTION):
                if district_id == name and friday == when:
                    increment = special
            running += increment
        members[friday] = running
    return members


def _insert(con: duckdb.DuckDBPyConnection, table: str, rows: list[dict[str, Any]]) -> None:
    columns = list(rows[0])
    con.executemany(
        f"insert into landing.{table} ({', '.join(columns)}) "
        f"values ({', '.join('?' for _ in columns)})",
        [[row[c] for c in columns] for row in rows],
    )


def _due(friday: date) -> datetime:
    return FileDeadline().due_at(friday).astimezone(UTC).replace(tzinfo=None)


def _ledger(
    sha: str,
    friday: date,
    delivered: datetime | None,
    *,
    status: str = "loaded",
    superseded_by: str | None = None,
    backfill: bool | None = False,
) -> dict[str, Any]:
    return {
        "file_sha256": sha,
        "file_name": f"{sha}.csv",
        "kind": "rssb_weekly",
        "received_at": delivered or datetime(2023, 7, 8, 9, 0),
        "status": status,
        "row_count": 30,
        "period_key": str(friday),
        "superseded_by": superseded_by,
        "stored_path": f"store/{sha}",
        "delivered_at": delivered,
        "due_at": _due(friday) if delivered else None,
        "is_backfill": backfill,
    }


def _friday_evening(friday: date) -> datetime:
    return datetime.combine(friday, datetime.min.time()) + timedelta(hours=17)  # UTC


def _rssb(sha: str, friday: date, district_id: str, members: int) -> dict[str, Any]:
    per_household = 8 if (district_id, friday) == BIG_HOUSEHOLDS else 4
    rate = round(members / TARGET * 100, 1)
    if (district_id, friday) == RATE_GAP[:2]:
        rate = members / TARGET * 100 + RATE_GAP[2]
    return {
        "file_sha256": sha,
        "report_date": friday,
        "district_id": district_id,
        "district_name_received": district_id.title(),
        "target_population": TARGET,
        "members_paid": members,
        "households_paid": members // per_household,
        "amount_collected_rwf": members * 3_000,
        "coverage_rate_pct": rate,
        "loaded_at": datetime(2023, 9, 16, 9, 0),
        "is_superseded": False,
    }


def load_landing(con: duckdb.DuckDBPyConnection, settings: Settings) -> None:
    districts = _districts(settings)
    ledger, rssb = [], []
    members = {d: _members(d) for d in districts}
    for friday in FRIDAYS:
        sha = f"rssb-{friday}"
        if friday == UNKNOWN_WEEK:
            ledger.append(_ledger(sha, friday, None, backfill=None))
        elif friday == LATE_WEEK:
            ledger.append(_ledger(sha, friday, LATE_DELIVERY))
        elif friday == BACKFILLED_WEEK:
            ledger.append(_ledger(sha, friday, datetime(2023, 9, 15, 17, 0), backfill=True))
        elif friday == FRIDAYS[1]:
            # Week 2: first file on time (superseded since), its correction late.
            first = f"rssb-{friday}-first"
            ledger.append(
                _ledger(
                    first, friday, _friday_evening(friday), status="superseded", superseded_by=sha
                )
            )
            ledger.append(_ledger(sha, friday, datetime(2023, 7, 19, 8, 0)))
        else:
            ledger.append(_ledger(sha, friday, _friday_evening(friday)))
        rssb += [
            _rssb(sha, friday, d, members[d][friday]) for d in districts if (d, friday) != MISSING
        ]
    sha = f"rssb-{EARLIER_WEEK_11}"
    ledger.append(_ledger(sha, EARLIER_WEEK_11, _friday_evening(EARLIER_WEEK_11)))
    for d in districts:
        this_year = members[d][FRIDAYS[10]]
        rssb.append(_rssb(sha, EARLIER_WEEK_11, d, this_year // 2 if d == "gasabo" else this_year))
    _insert(con, "file_ledger", ledger)
    _insert(con, "rssb_weekly", rssb)

    hospital_districts = _hospital_districts(settings)
    scores = {
        (2022, "kibagabaga"): 40.0,
        (2023, "kibagabaga"): 75.0,
        (2022, "masaka"): 55.0,
        (2023, "masaka"): 50.0,
        (2022, "ruhengeri"): 70.0,
    }
    _insert(
        con,
        "accreditation_results",
        [
            {
                "file_sha256": f"moh-{year}",
                "survey_year": year,
                "hospital_id": hospital_id,
                "hospital_name_received": hospital_id.title(),
                "district_id": hospital_districts[hospital_id],
                "hospital_category": "district",
                "level_1_score_pct": 90.0,
                "level_2_score_pct": level_2,
                "level_3_score_pct": None,
                "score_scale": "percent",
                "loaded_at": datetime(2023, 9, 16, 9, 0),
                "is_superseded": False,
            }
            for (year, hospital_id), level_2 in scores.items()
        ],
    )


@dataclass(frozen=True)
class Built:
    settings: Settings
    districts: list[str]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    settings = Settings(home=tmp_path_factory.mktemp("dq_home"))
    with open_warehouse(settings.warehouse_path) as con:
        ensure_landing_schema(con)
        load_landing(con, settings)
    # The whole project (a selection would run relationship tests of unbuilt marts). The 12
    # weeks here are weeks 0-11 of a fiscal year: consistency over time is judged from every
    # week (the project judges it from week 13; its unit test covers that rule).
    outcome = run_dbt([*build_arguments(), "--vars", "{dq_consistency_min_week: 0}"], settings)
    if not outcome.success:
        raise DbtBuildError(outcome)
    return Built(settings, _districts(settings))


@pytest.fixture
def con(built: Built) -> Iterator[duckdb.DuckDBPyConnection]:
    with open_warehouse(built.settings.warehouse_path, read_only=True) as connection:
        yield connection


def report(con: duckdb.DuckDBPyConnection, district_id: str, friday: date, *columns: str) -> tuple:
    row = con.execute(
        f"select {', '.join(columns)} from marts.fct_dq_cbhi_district_reports "
        "where district_id = ? and report_date = ?",
        [district_id, friday],
    ).fetchall()
    assert len(row) == 1, (district_id, friday, row)
    return row[0]


def test_every_district_has_a_row_for_every_report_date(con, built: Built):
    (count,) = con.execute("select count(*) from marts.fct_dq_cbhi_district_reports").fetchall()[0]
    assert count == len(built.districts) * (len(FRIDAYS) + 1)
    district, friday = MISSING
    assert report(
        con,
        district,
        friday,
        "is_district_reported",
        "districts_in_file",
        "required_fields_filled_pct",
        "flag_count",
    ) == (False, len(built.districts) - 1, 0.0, 1)
    assert report(con, "gasabo", friday, "is_district_reported", "districts_in_file") == (
        True,
        len(built.districts) - 1,
    )


def test_the_spike_is_scored_by_hand(con):
    # Baseline of week 10: weeks 2-9 = 1000, 1100, 900, 1000, 1050, 950, 1000, 1000; median
    # 1000; |deviations| 0, 100, 100, 0, 50, 50, 0, 0 -> MAD (0 + 50) / 2 = 25;
    # z = 0.6745 x (5000 - 1000) / 25 = 107.92.
    district, friday, increment = SPIKE
    assert report(
        con,
        district,
        friday,
        "members_paid_increment",
        "increment_median",
        "increment_mad",
        "increment_points",
        "is_outlier",
    ) == (increment, 1000.0, 25.0, 8, True)
    (z,) = report(con, district, friday, "modified_z_score")
    assert z == pytest.approx(0.6745 * 4000 / 25)
    # Week 11 (+1000): the baseline now holds the spike: median 1000, MAD 50, z = 0.
    assert report(
        con, district, FRIDAYS[10], "increment_mad", "modified_z_score", "is_outlier"
    ) == (50.0, 0.0, False)
    # Same increments elsewhere, no spike: z = 0.
    assert report(con, "nyagatare", friday, "modified_z_score", "is_outlier") == (0.0, False)


def test_the_correction_is_counted_apart_and_stays_out_of_the_baseline(con):
    district, friday, increment = CORRECTION
    assert report(
        con, district, friday, "members_paid_increment", "is_negative_increment", "is_outlier"
    ) == (increment, True, False)
    # Week 10's baseline: weeks 2-8 only (7 points): median 1000, MAD 50.
    assert report(
        con, district, FRIDAYS[9], "increment_points", "increment_median", "increment_mad"
    ) == (7, 1000.0, 50.0)


def test_timeliness_follows_each_weeks_first_accepted_file(con):
    statuses = dict(
        con.execute(
            "select report_date, any_value(timeliness_status) from "
            "marts.fct_dq_cbhi_district_reports group by 1"
        ).fetchall()
    )
    assert statuses[UNKNOWN_WEEK] == "unknown"
    assert statuses[FRIDAYS[1]] == "on_time"  # the correction came late, the week did not
    assert statuses[LATE_WEEK] == "late"
    assert statuses[BACKFILLED_WEEK] == "backfilled"
    assert [statuses[f] for f in FRIDAYS[3:10]] == ["on_time"] * 7
    # Monday 09:00 UTC is 3 days 9 hours after the Friday (00:00 UTC).
    assert report(con, "gasabo", LATE_WEEK, "days_after_report_date") == (3.375,)
    assert report(con, "gasabo", BACKFILLED_WEEK, "days_after_report_date") == (None,)


def test_internal_consistency_and_consistency_over_time(con):
    district, friday, gap = RATE_GAP
    got_gap, flagged = report(
        con, district, friday, "coverage_rate_gap_pp", "is_coverage_rate_inconsistent"
    )
    assert (got_gap, flagged) == (pytest.approx(gap), True)
    per_household, implausible = report(
        con, *BIG_HOUSEHOLDS, "members_per_household", "is_household_size_implausible"
    )
    assert implausible and per_household == pytest.approx(8.0, abs=0.01)
    # gasabo's week 11 coverage is twice 2022/23's: ratio 2.0, flagged; elsewhere 1.0.
    assert report(
        con,
        "gasabo",
        FRIDAYS[10],
        "consistency_ratio",
        "earlier_years_count",
        "is_consistency_flagged",
    ) == (pytest.approx(2.0, abs=1e-4), 1, True)
    assert report(con, "nyagatare", FRIDAYS[10], "consistency_ratio", "is_consistency_flagged") == (
        1.0,
        False,
    )
    # No payments extract: the reconciliation says nothing.
    assert report(con, "gasabo", friday, "is_payments_inconsistent") == (None,)


def test_flags_list_each_anomaly_once_with_its_figures(con, built: Built):
    counts = dict(
        con.execute(
            "select measure, count(*) from marts.fct_dq_flags "
            "where dimension not in ('denominators') group by 1"
        ).fetchall()
    )
    # No file between week 11 of 2022/23 and week 1 of 2023/24: 42 Fridays with no file.
    weeks_without_file = (FRIDAYS[0] - EARLIER_WEEK_11).days // 7 - 1
    assert weeks_without_file == 42
    assert counts == {
        "week_missing": weeks_without_file,
        "district_missing": 1,
        "late_file": len(built.districts),
        "members_paid_increment": 1,
        "negative_increment": 1,
        "coverage_rate": 1,
        "household_size": 1,
        "coverage_consistency": 1,
        "score_change": 1,
        "hospitals_surveyed": 1,
    }
    district, friday, _ = SPIKE
    assert con.execute(
        "select dimension, observed_value, expected_value, unit, detail from marts.fct_dq_flags "
        "where measure = 'members_paid_increment'"
    ).fetchall() == [
        (
            "outliers",
            5000.0,
            1000.0,
            "members",
            "Members paid rose by 5,000 (usual weekly rise about 1,000; modified z-score 107.9).",
        )
    ]
    assert con.execute(
        "select district_id, report_date from marts.fct_dq_flags "
        "where measure = 'members_paid_increment'"
    ).fetchall() == [(district, friday)]


def test_accreditation_completeness_and_score_changes(con):
    assert con.execute(
        "select survey_year, hospitals_expected, hospitals_surveyed, completeness_pct, "
        "score_changes_flagged from marts.fct_dq_accreditation_surveys order by 1"
    ).fetchall() == [(2022, 3, 3, 100.0, 0), (2023, 3, 2, pytest.approx(200 / 3), 1)]
    assert con.execute(
        "select hospital_id, level_2_change_pp from marts.fct_dq_accreditation_hospitals "
        "where is_score_change_flagged"
    ).fetchall() == [("kibagabaga", 35.0)]
