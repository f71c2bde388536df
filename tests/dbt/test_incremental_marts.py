"""The weekly marts are incremental: rows written, not time, is what is measured.

For one and for five years of synthetic history (30 districts x 52 or 260 Fridays, written
straight into landing), the Friday build goes through ``build_atomically`` on the CBHI part
of the project:

1. the first build is a full refresh (nothing recorded yet);
2. one new Friday: each incremental mart writes exactly that Friday's 30 rows, whatever the
   length of the history (``dbt_loaded_at`` tells the rows a run wrote);
3. two late RSSB files for old Fridays, one of them without a district: the weekly mart
   rewrites those weeks and the next one (its week-on-week change), deletes the district's
   orphaned week; the corrections mart rewrites the changed weeks and the next
   saturation_weeks - 1 (its saturation window);
4. the marts are identical to what a ``--full-refresh`` build then makes of them.

Both histories are built in the same TPN home, one after the other: dbt's partial parsing
is keyed on the warehouse path, and a cold parse of the project costs ~8 s of CPU.
"""

from __future__ import annotations

import datetime as dt
import shutil
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

from tests.dbt.synthetic_history import (
    FIRST_FRIDAY,
    INCREMENTAL_MARTS,
    add_fridays,
    districts,
    friday,
    latest_stamps,
    rows_written_since,
    supersede,
)
from tpn_metrics.dbt_runner import DbtRunOutcome
from tpn_metrics.settings import Settings
from tpn_metrics.warehouse import ensure_landing_schema, open_warehouse
from tpn_metrics.warehouse_build import build_atomically

pytestmark = pytest.mark.slow

#: The CBHI marts and everything upstream. Without their data and unit tests (4 s of CPU a
#: build; test_dbt_build and test_warehouse_build run them): what is measured is the rows
#: written, and DuckDB enforces the marts' primary keys on every write anyway.
SELECTION = ["+fct_cbhi_coverage_corrected", "+fct_cbhi_fiscal_year"]
SATURATION_WEEKS = 4  # dbt_project.yml var saturation_weeks
CORRECTED = 19  # a Friday of fiscal year 2019/20 corrected by RSSB (members paid - 500)
RESENT = 39  # another one, re-sent without one district (members paid + 250)
KeySet = set[tuple[str, dt.date]]


@dataclass(frozen=True)
class History:
    years: int
    weeks: int
    settings: Settings
    districts: tuple[str, ...]
    omitted: str
    outcomes: dict[str, DbtRunOutcome]
    written: dict[str, dict[str, KeySet]]  # step -> mart -> keys written
    incremental_contents: dict[str, list[tuple[object, ...]]]  # mart -> rows before refresh


def friday_build(settings: Settings, *, full_refresh: bool = False) -> DbtRunOutcome:
    return build_atomically(
        settings, select=SELECTION, indirect_selection="empty", full_refresh=full_refresh
    )


def contents_sql(mart: str) -> str:
    columns = "* exclude (dbt_loaded_at)" if mart in INCREMENTAL_MARTS else "*"
    return f"select {columns} from marts.{mart} order by all"


COMPARED_MARTS = (*INCREMENTAL_MARTS, "fct_cbhi_fiscal_year")


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("history")


@pytest.fixture(scope="module", params=[1, 5], ids=["1y", "5y"])
def history(request: pytest.FixtureRequest, home: Path) -> History:
    years = request.param
    weeks = 52 * years
    settings = Settings(home=home)
    shutil.rmtree(settings.warehouse_path.parent, ignore_errors=True)  # the other history
    all_districts = tuple(districts(settings))
    omitted = all_districts[7]
    path = settings.warehouse_path
    outcomes, written = {}, {}
    with open_warehouse(path) as con:
        ensure_landing_schema(con)
        add_fridays(con, settings, FIRST_FRIDAY, weeks)
    outcomes["initial"] = friday_build(settings)

    stamps = latest_stamps(path)
    with open_warehouse(path) as con:
        add_fridays(con, settings, friday(weeks), 1)
    outcomes["new_friday"] = friday_build(settings)
    written["new_friday"] = rows_written_since(path, stamps)

    stamps = latest_stamps(path)
    with open_warehouse(path) as con:
        supersede(con, friday(CORRECTED), -500)
        supersede(con, friday(RESENT), 250, omit_district=omitted)
    outcomes["late_files"] = friday_build(settings)
    written["late_files"] = rows_written_since(path, stamps)

    incremental_contents = {mart: rows(settings, contents_sql(mart)) for mart in COMPARED_MARTS}
    outcomes["full_refresh"] = friday_build(settings, full_refresh=True)
    return History(
        years, weeks, settings, all_districts, omitted, outcomes, written, incremental_contents
    )


def rows(settings: Settings, sql: str, *params: object) -> list[tuple[object, ...]]:
    con = duckdb.connect(str(settings.warehouse_path), read_only=True)
    try:
        return con.execute(sql, list(params)).fetchall()
    finally:
        con.close()


def test_builds_succeed_and_only_the_first_is_a_full_refresh(history: History) -> None:
    for step, outcome in history.outcomes.items():
        assert outcome.success, (step, outcome.describe_failures())
    assert "--full-refresh" in history.outcomes["initial"].command  # nothing recorded yet
    assert "--full-refresh" not in history.outcomes["new_friday"].command
    assert "--full-refresh" not in history.outcomes["late_files"].command


def test_a_new_friday_writes_only_its_thirty_rows(history: History) -> None:
    new_friday = friday(history.weeks)
    expected = {(district, new_friday) for district in history.districts}
    assert len(expected) == 30
    for mart in INCREMENTAL_MARTS:
        assert history.written["new_friday"][mart] == expected, mart


def test_late_files_rewrite_their_weeks_and_the_weeks_that_depend_on_them(
    history: History,
) -> None:
    everyone, omitted = history.districts, history.omitted
    resent_by = [d for d in everyone if d != omitted]

    def keys(names: list[str] | tuple[str, ...], numbers: range) -> KeySet:
        return {(d, friday(n)) for d in names for n in numbers}

    # weekly: the corrected week and the next (its week-on-week change compares with it);
    # the re-sent week without the omitted district, and the next for everyone
    assert history.written["late_files"]["fct_cbhi_weekly"] == (
        keys(everyone, range(CORRECTED, CORRECTED + 2))
        | keys(resent_by, range(RESENT, RESENT + 1))
        | keys(everyone, range(RESENT + 1, RESENT + 2))
    )
    # corrections: each rewritten weekly row and the next saturation_weeks - 1 reports
    assert history.written["late_files"]["fct_cbhi_coverage_corrected"] == (
        keys(everyone, range(CORRECTED, CORRECTED + 1 + SATURATION_WEEKS))
        | keys(resent_by, range(RESENT, RESENT + 1))
        | keys(everyone, range(RESENT + 1, RESENT + 1 + SATURATION_WEEKS))
    )
    assert len(history.written["late_files"]["fct_cbhi_weekly"]) == 119
    assert len(history.written["late_files"]["fct_cbhi_coverage_corrected"]) == 299


def test_the_orphaned_week_is_deleted_and_the_correction_applied(history: History) -> None:
    for mart in INCREMENTAL_MARTS:
        assert rows(
            history.settings,
            f"select count(*) from marts.{mart} where district_id = ? and report_date = ?",
            history.omitted,
            friday(RESENT),
        ) == [(0,)]
        assert rows(history.settings, f"select count(*) from marts.{mart}") == [
            (30 * (history.weeks + 1) - 1,)
        ]
    district = history.districts[0]
    (before, corrected, after) = rows(
        history.settings,
        "select members_paid, members_paid_change_week, source_file_sha256 "
        "from marts.fct_cbhi_weekly where district_id = ? and report_date between ? and ? "
        "order by report_date",
        district,
        friday(CORRECTED - 1),
        friday(CORRECTED + 1),
    )
    assert corrected[0] == before[0] + corrected[1]
    assert after[1] == after[0] - corrected[0]
    assert str(corrected[2]).endswith("-corrected-20240607")


@pytest.mark.parametrize("mart", COMPARED_MARTS)
def test_incremental_marts_equal_a_full_refresh(history: History, mart: str) -> None:
    assert "--full-refresh" in history.outcomes["full_refresh"].command
    incremental = history.incremental_contents[mart]
    assert len(incremental) >= 30 * history.years
    assert incremental == rows(history.settings, contents_sql(mart))


def test_the_history_exercises_the_flags(history: History) -> None:
    ((saturated, stale),) = rows(
        history.settings,
        "select count(*) filter (where is_saturated), count(*) filter (where is_target_stale) "
        "from marts.fct_cbhi_coverage_corrected",
    )
    assert saturated > 0
    assert stale > 0
