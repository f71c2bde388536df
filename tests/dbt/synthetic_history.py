"""Synthetic RSSB history written straight into the landing tables with SQL.

Going through file ingestion would take minutes for five years of Fridays; these rows look
like what ingestion writes (one file a week, 30 districts, the ledger beside it) and build
the same marts. Every fourth district has a stale target (80 % of the eligible population),
and coverage climbs 3 points a week to a 97 % plateau, so the corrections mart has stale
targets and saturated districts to get right.
"""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import duckdb

from tpn_metrics.settings import Settings

#: The first Friday of fiscal year 2019/20.
FIRST_FRIDAY = dt.date(2019, 7, 5)
LOADED_AT = dt.datetime(2024, 1, 1, 18, 0)
CORRECTED_AT = dt.datetime(2024, 6, 7, 18, 0)
INCREMENTAL_MARTS = ("fct_cbhi_weekly", "fct_cbhi_coverage_corrected")


def friday(number: int) -> dt.date:
    """The n-th Friday of the history (0 = FIRST_FRIDAY)."""
    return FIRST_FRIDAY + dt.timedelta(days=7 * number)


def districts(settings: Settings) -> list[str]:
    with (settings.seeds_dir / "districts.csv").open(encoding="utf-8") as handle:
        return [row["district_id"] for row in csv.DictReader(handle)]


def _district_table(con: duckdb.DuckDBPyConnection, settings: Settings) -> None:
    path = settings.seeds_dir / "district_census_populations.csv"
    with path.open(encoding="utf-8") as handle:
        populations = [
            (row["district_id"], int(row["population_2022"]), 0.8 if number % 4 == 0 else 1.0)
            for number, row in enumerate(csv.DictReader(handle))
        ]
    con.execute(
        "create or replace temp table synthetic_districts "
        "(district_id varchar, population_2022 bigint, target_factor double)"
    )
    con.executemany("insert into synthetic_districts values (?, ?, ?)", populations)


def sha(report_date: dt.date) -> str:
    return f"sha-rssb-{report_date.isoformat()}"


def add_fridays(
    con: duckdb.DuckDBPyConnection, settings: Settings, first: dt.date, count: int
) -> None:
    """One RSSB file per Friday from ``first``, ``count`` Fridays, 30 districts each."""
    _district_table(con, settings)
    con.execute(
        """
        create or replace temp table synthetic_fridays as
        select cast(f as date) as report_date
        from generate_series(cast(? as timestamp), cast(? as timestamp), interval 7 day) as t (f)
        """,
        [first, first + dt.timedelta(days=7 * (count - 1))],
    )
    con.execute(
        """
        insert into landing.file_ledger (
            file_sha256, file_name, kind, received_at, status, reason, warnings,
            row_count, period_key, superseded_by, stored_path
        )
        select
            'sha-rssb-' || strftime(report_date, '%Y-%m-%d'),
            'rssb_' || strftime(report_date, '%Y-%m-%d') || '.csv',
            'rssb_weekly', ?, 'loaded', null, null, 30,
            strftime(report_date, '%Y-%m-%d'), null,
            'warehouse/landing/' || strftime(report_date, '%Y-%m-%d') || '.csv'
        from synthetic_fridays
        """,
        [LOADED_AT],
    )
    con.execute(
        """
        insert into landing.rssb_weekly
        with weeks as (
            select
                report_date,
                1 + date_diff(
                    'day',
                    make_date(
                        cast(year(report_date) as integer)
                            - case when month(report_date) < 7 then 1 else 0 end,
                        7, 1
                    ),
                    report_date
                ) // 7 as week_number
            from synthetic_fridays
        ),
        reports as (
            select
                weeks.report_date,
                d.district_id,
                cast(round(d.population_2022 * 0.9 * d.target_factor) as bigint) as target,
                least(0.97, 0.15 + 0.03 * weeks.week_number) as coverage
            from weeks cross join synthetic_districts as d
        )
        select
            'sha-rssb-' || strftime(report_date, '%Y-%m-%d'),
            report_date,
            district_id,
            upper(district_id),
            target,
            cast(round(target * coverage) as bigint),
            cast(round(target * coverage / 4) as bigint),
            cast(round(target * coverage) as bigint) * 3000,
            round(coverage * 100, 1),
            ?,
            false
        from reports
        """,
        [LOADED_AT],
    )


def supersede(
    con: duckdb.DuckDBPyConnection,
    report_date: dt.date,
    members_delta: int,
    *,
    omit_district: str | None = None,
) -> str:
    """A late RSSB file for an old Friday: members paid moved by ``members_delta`` (an RSSB
    correction), optionally without one district; the earlier file becomes superseded, as
    ingestion does it. Returns the new file's SHA-256.
    """
    old = con.execute(
        "select file_sha256 from landing.file_ledger "
        "where period_key = ? and kind = 'rssb_weekly' and superseded_by is null",
        [report_date.isoformat()],
    ).fetchone()
    assert old is not None
    new = f"{sha(report_date)}-corrected-{CORRECTED_AT:%Y%m%d}"
    con.execute(
        """
        insert into landing.rssb_weekly
        select ?, report_date, district_id, district_name_received, target_population,
            members_paid + ?, households_paid, amount_collected_rwf, coverage_rate_pct, ?, false
        from landing.rssb_weekly
        where file_sha256 = ? and district_id is distinct from ?
        """,
        [new, members_delta, CORRECTED_AT, old[0], omit_district],
    )
    con.execute("update landing.rssb_weekly set is_superseded = true where file_sha256 = ?", old)
    con.execute(
        "update landing.file_ledger set status = 'superseded', superseded_by = ? "
        "where file_sha256 = ?",
        [new, old[0]],
    )
    con.execute(
        "insert into landing.file_ledger (file_sha256, file_name, kind, received_at, status, "
        "reason, warnings, row_count, period_key, superseded_by, stored_path) values "
        "(?, 'late.csv', 'rssb_weekly', ?, 'loaded', null, null, 30, ?, null, 'x')",
        [new, CORRECTED_AT, report_date.isoformat()],
    )
    return new


def latest_stamps(path: Path) -> dict[str, dt.datetime]:
    """The latest dbt_loaded_at of each incremental mart."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        return {
            mart: con.execute(f"select max(dbt_loaded_at) from marts.{mart}").fetchone()[0]  # type: ignore[index]
            for mart in INCREMENTAL_MARTS
        }
    finally:
        con.close()


def rows_written_since(
    path: Path, stamps: dict[str, dt.datetime]
) -> dict[str, set[tuple[str, dt.date]]]:
    """(district_id, report_date) of every row each incremental mart wrote after ``stamps``."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        return {
            mart: set(
                con.execute(
                    f"select district_id, report_date from marts.{mart} where dbt_loaded_at > ?",
                    [stamps[mart]],
                ).fetchall()
            )
            for mart in INCREMENTAL_MARTS
        }
    finally:
        con.close()
