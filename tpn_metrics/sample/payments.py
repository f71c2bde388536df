"""Synthetic household payment extracts, fast enough for 10M rows (generated inside DuckDB).

``household_ref`` looks like a Rwandan phone number on purpose: the pipeline must never store
it, and tests check that it does not.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb

from tpn_metrics.calendar import first_day_of_fiscal_year, last_day_of_fiscal_year
from tpn_metrics.reference import load_districts
from tpn_metrics.settings import Settings

CHANNEL_SPELLINGS = ("Umurenge SACCO", "Irembo", "MTN MoMo", "Mobicash", "Airtel Money", "momo")
PREMIUM_RWF = 3_000


#: The sample extract covers fiscal year 2022/23.
SAMPLE_YEAR_START = first_day_of_fiscal_year(2022)
SAMPLE_YEAR_END = last_day_of_fiscal_year(2022)


def generate_payments(
    path: Path,
    rows: int,
    *,
    seed: int = 2024,
    start: dt.date = SAMPLE_YEAR_START,
    end: dt.date = SAMPLE_YEAR_END,
    households: int | None = None,
    first_payment: int = 0,
    seeds_dir: Path | None = None,
) -> Path:
    """Write a CSV extract of `rows` payments paid between `start` and `end` (inclusive)."""
    names = [d.district_name for d in load_districts(seeds_dir or Settings().seeds_dir)]
    households = households or max(rows // 2, 1)
    span_seconds = int((end - start).days + 1) * 86_400
    path.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    try:
        con.execute("set enable_progress_bar = false")
        con.execute("set preserve_insertion_order = true")
        con.execute(
            f"""
            copy (
                with draws as (
                    select
                        i,
                        hash(i * 8 + 1 + {seed} * 97) as h_household,
                        hash(i * 8 + 2 + {seed} * 97) as h_district,
                        hash(i * 8 + 3 + {seed} * 97) as h_sector,
                        hash(i * 8 + 4 + {seed} * 97) as h_channel,
                        hash(i * 8 + 5 + {seed} * 97) as h_members,
                        hash(i * 8 + 6 + {seed} * 97) as h_time
                    from range({first_payment}, {first_payment + rows}) as t(i)
                )
                select
                    'P' || lpad(i::varchar, 10, '0') as payment_id,
                    '07' || (8 + h_household % 2)::varchar
                        || lpad((h_household % {households})::varchar, 7, '0') as household_ref,
                    (?::varchar[])[1 + (h_district % {len(names)})::integer] as district,
                    'Sector ' || (1 + h_sector % 15)::varchar as sector,
                    (?::varchar[])[1 + (h_channel % {len(CHANNEL_SPELLINGS)})::integer]
                        as channel,
                    (1 + h_members % 7)::integer as members,
                    ((1 + h_members % 7) * {PREMIUM_RWF})::bigint as amount_rwf,
                    strftime(
                        timestamp '{start} 00:00:00'
                            + to_seconds((h_time % {span_seconds})::bigint),
                        '%Y-%m-%d %H:%M:%S'
                    ) as paid_at
                from draws
                order by i
            ) to '{path}' (header, delimiter ',')
            """,
            [names, list(CHANNEL_SPELLINGS)],
        )
    finally:
        con.close()
    return path
