"""A district's week for the offline email tests: Gasabo, Friday 24 March 2023."""

from __future__ import annotations

import struct
from dataclasses import replace
from datetime import date, timedelta

from tpn_metrics.emails.week import DistrictWeek, TwinStatus

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
REPORT_DATE = date(2023, 3, 24)
METHOD = "geometric projection from the 2012 and 2022 censuses"


def fridays(first: date, count: int, start: float, step: float) -> tuple[tuple[date, float], ...]:
    return tuple((first + timedelta(days=7 * i), round(start + step * i, 1)) for i in range(count))


def make_week(**overrides: object) -> DistrictWeek:
    # Gasabo, Friday 24 March 2023: 38 Fridays into FY 2022/23 (1 July 2022 was a Friday).
    week = DistrictWeek(
        district_id="RW-KGL-GAS",
        district_name="Gasabo",
        province="Kigali City",
        report_date=REPORT_DATE,
        fiscal_year="2022/23",
        members_paid=412_345,
        households_paid=100_572,
        target_population=601_250,
        coverage_reported_pct=68.58,
        coverage_corrected_pct=62.03,
        corrected_target_population=664_800,
        correction_method=METHOD,
        members_paid_change_week=1_234,
        coverage_change_week_pp=0.21,
        gap_members=188_905,
        gap_households=46_075,
        projected_year_end_coverage_pct=74.3,
        rank_national=27,
        n_districts=30,
        rank_province=2,
        n_province=3,
        national_coverage_pct=81.4,
        twin=TwinStatus("Nyagatare", 91.2, 0.4),
        trajectory_this_fy=fridays(date(2022, 7, 1), 39, 31.0, 1.0),
        trajectory_last_fy=fridays(date(2021, 7, 2), 52, 35.0, 0.9),
    )
    return replace(week, **overrides)  # type: ignore[arg-type]


def png_size(png: bytes) -> tuple[int, int]:
    assert png.startswith(PNG_SIGNATURE)
    assert png[12:16] == b"IHDR"
    width, height = struct.unpack(">II", png[16:24])
    return width, height
