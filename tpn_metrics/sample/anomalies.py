"""The data-quality anomalies the sample injects on purpose, recorded so a test can check that
the data-quality review (issue #21, in the WHO Data Quality Review's dimensions) finds each one.

Five anomalies, each in its own district, all in fiscal year 2021/22: the paper's two CBHI
reports (nearest 23 March 2021 and 23 March 2023) lie in 2020/21 and 2022/23, so none of them
moves the calibrated evaluation figures, and none touches a stale-target district, a CBHI
focus district or the district RSSB corrects once:

- **timeliness**: the file of :data:`LATE_REPORT_DATE` arrives after its deadline (its file
  modification time, see :mod:`tpn_metrics.sample.delivery`);
- **completeness**: one district is left out of the last file of the year
  (:data:`MISSING_REPORT_DATE`: no later week of the year computes an increment from it);
- **outliers**: members paid jump at :data:`SPIKE_REPORT_DATE` by :data:`SPIKE_SHARE` of the
  district's target, a lasting level shift (households and contributions rise alike, so the
  household size stays plausible): one unusual weekly increment, and none after it;
- **internal consistency**: one ``coverage_rate`` cell of :data:`COVERAGE_REPORT_DATE` (or the
  next file that has the column) is :data:`COVERAGE_GAP_PP` above members paid / target. Only
  a small gap can be injected: ingestion refuses a whole file whose coverage_rate is more than
  0.6 pp off its counts (``tpn_metrics.ingest.rssb.COVERAGE_TOLERANCE_PP``: that is how a
  file cut inside its last value is caught), so the review sees gaps up to 0.6 pp only;
- **denominators**: one district's RSSB target for the whole of 2021/22 is set
  :data:`TARGET_JUMP` above the true eligible population, far above a year's projected
  population growth (about 2.3 %) but within 10 % of the projection, so the district is not a
  stale-target district. The target returns to normal in 2022/23: that year's fall is the same
  event seen a year later.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np

from tpn_metrics.calendar import fiscal_year_start_year
from tpn_metrics.sample.cbhi import CbhiSample, WeeklyRow

ANOMALY_FISCAL_YEAR = 2021
"""2021/22: between the paper's baseline (2020/21) and endline (2022/23) years."""
LATE_REPORT_DATE = dt.date(2022, 2, 11)
LATE_BY = dt.timedelta(days=2, hours=5)
"""After the deadline (default Saturday 12:00 Kigali): Monday 17:00 Kigali."""
MISSING_REPORT_DATE = dt.date(2022, 6, 24)
SPIKE_REPORT_DATE = dt.date(2022, 4, 8)
SPIKE_SHARE = 0.08
"""The level shift, as a share of the district's target (8 % of ~300,000 is ~24,000 members)."""
COVERAGE_REPORT_DATE = dt.date(2022, 5, 6)
COVERAGE_GAP_PP = 0.5
"""pp: over the review's tolerance (dbt var dq_coverage_rate_tolerance_pp), under ingestion's
refusal (0.6 pp, gap measured on the unrounded counts: 0.45 to 0.55 pp here)."""
TARGET_JUMP = 0.055
"""RSSB's 2021/22 target / true eligible population - 1 in the target-jump district."""
# The review's dimensions and measures, as fct_dq_flags names them (DQ-SPEC.md).
TIMELINESS = "timeliness"
COMPLETENESS = "completeness"
OUTLIERS = "outliers"
INTERNAL_CONSISTENCY = "internal_consistency"
DENOMINATORS = "denominators"


@dataclass(frozen=True)
class InjectedAnomaly:
    """One anomaly written into the sample on purpose.

    ``injected_value`` and ``usual_value`` are in ``unit``: members (a weekly increment), days
    (after the report Friday), percent (a coverage rate or a year's target growth) or
    districts (reported in the file). ``report_dates`` are every report the anomaly shows in.
    """

    dimension: str
    measure: str
    district_id: str | None
    """None for the late file: every district of that week's file is late."""
    report_date: dt.date
    injected_value: float
    usual_value: float
    unit: str
    detail: str
    report_dates: tuple[dt.date, ...] = ()
    file: str = ""
    """The RSSB file of ``report_date``, relative to the sample folder (set once written)."""

    def to_json_dict(self) -> dict[str, object]:
        """JSON-ready: dates as ISO text, values as numbers."""
        return {
            "dimension": self.dimension,
            "measure": self.measure,
            "district_id": self.district_id,
            "report_date": self.report_date.isoformat(),
            "injected_value": self.injected_value,
            "usual_value": self.usual_value,
            "unit": self.unit,
            "file": self.file,
            "report_dates": [d.isoformat() for d in self.report_dates],
            "detail": self.detail,
        }


@dataclass(frozen=True)
class Injected:
    """The weekly rows with the anomalies in, per report date, and the anomalies' record."""

    rows: dict[dt.date, tuple[WeeklyRow, ...]]
    anomalies: tuple[InjectedAnomaly, ...]


def pick_districts(
    rng: np.random.Generator, cbhi: CbhiSample, ids: Sequence[str], focus: frozenset[str]
) -> tuple[str, str, str, str]:
    """Four distinct districts, drawn with ``rng``, neither stale, in CBHI focus nor corrected.

    Order: missing, spike, coverage_rate, target jump. ValueError when fewer than four qualify.
    """
    stale = {s.district_id for s in cbhi.stale}
    plain = [
        d for d in ids if d not in stale and d not in focus and d != cbhi.correction.district_id
    ]
    if len(plain) < 4:
        raise ValueError(f"only {len(plain)} districts can carry an injected anomaly, 4 needed")
    chosen = [plain[int(i)] for i in rng.choice(len(plain), size=4, replace=False)]
    return chosen[0], chosen[1], chosen[2], chosen[3]


def inject(
    cbhi: CbhiSample,
    districts: tuple[str, str, str, str],
    *,
    has_coverage_column: Mapping[dt.date, bool],
    due_at: dt.datetime,
) -> Injected:
    """The weekly rows of ``cbhi`` with the five anomalies in, and their record.

    ``has_coverage_column`` says which report dates' files carry ``coverage_rate``;
    ``due_at`` is the deadline (UTC) of :data:`LATE_REPORT_DATE`. Raises ValueError when no
    file from :data:`COVERAGE_REPORT_DATE` to the end of 2021/22 has the coverage column.
    """
    missing, spike, coverage, target = districts
    rows = {day: tuple(r) for day, r in cbhi.rows.items()}
    year = [d for d in cbhi.report_dates if fiscal_year_start_year(d) == ANOMALY_FISCAL_YEAR]
    delivered = due_at + LATE_BY
    # Counted as the review's mart counts: from 00:00 UTC of the report date.
    report_start = dt.datetime.combine(LATE_REPORT_DATE, dt.time(0), tzinfo=dt.UTC)
    days_after = (delivered - report_start).total_seconds() / 86400
    anomalies = [
        InjectedAnomaly(
            TIMELINESS,
            "late_file",
            None,
            LATE_REPORT_DATE,
            round(days_after, 2),
            1.0,
            "days",
            f"the file of {LATE_REPORT_DATE} was delivered at {delivered:%Y-%m-%d %H:%M} UTC, "
            f"after its deadline {due_at:%Y-%m-%d %H:%M} UTC",
            (LATE_REPORT_DATE,),
        )
    ]
    rows[MISSING_REPORT_DATE] = tuple(
        r for r in rows[MISSING_REPORT_DATE] if r.district_id != missing
    )
    anomalies.append(
        InjectedAnomaly(
            COMPLETENESS,
            "district_missing",
            missing,
            MISSING_REPORT_DATE,
            float(len(rows[MISSING_REPORT_DATE])),
            30.0,
            "districts",
            f"{missing} is left out of the file of {MISSING_REPORT_DATE}",
            (MISSING_REPORT_DATE,),
        )
    )
    anomalies.append(_level_shift(rows, year, spike))
    anomalies.append(_coverage_cell(rows, year, coverage, has_coverage_column))
    anomalies.append(_target_jump(rows, cbhi, target))
    return Injected(rows, tuple(anomalies))


def _row(rows: Mapping[dt.date, tuple[WeeklyRow, ...]], day: dt.date, district: str) -> WeeklyRow:
    return next(r for r in rows[day] if r.district_id == district)


def _swap(rows: dict[dt.date, tuple[WeeklyRow, ...]], day: dt.date, new: WeeklyRow) -> None:
    rows[day] = tuple(new if r.district_id == new.district_id else r for r in rows[day])


def _level_shift(
    rows: dict[dt.date, tuple[WeeklyRow, ...]], year: Sequence[dt.date], district: str
) -> InjectedAnomaly:
    """Members paid jump at the spike week and stay up for the rest of the fiscal year."""
    start = year.index(SPIKE_REPORT_DATE)
    before = [_row(rows, day, district).members_paid for day in year[start - 13 : start]]
    usual = float(np.median(np.diff(before)))
    extra = int(round(SPIKE_SHARE * _row(rows, SPIKE_REPORT_DATE, district).target_population, -2))
    for day in year[start:]:
        old = _row(rows, day, district)
        ratio = (old.members_paid + extra) / old.members_paid
        _swap(
            rows,
            day,
            replace(
                old,
                members_paid=old.members_paid + extra,
                households_paid=round(old.households_paid * ratio),
                amount_collected_rwf=round(old.amount_collected_rwf * ratio),
            ),
        )
    increment = _row(rows, SPIKE_REPORT_DATE, district).members_paid - before[-1]
    return InjectedAnomaly(
        OUTLIERS,
        "members_paid_increment",
        district,
        SPIKE_REPORT_DATE,
        float(increment),
        usual,
        "members",
        f"members paid rose by {increment:,} in the week of {SPIKE_REPORT_DATE} "
        f"(usual weekly rise about {usual:,.0f}); the level stays up to 30 June",
        (SPIKE_REPORT_DATE,),
    )


def _coverage_cell(
    rows: dict[dt.date, tuple[WeeklyRow, ...]],
    year: Sequence[dt.date],
    district: str,
    has_coverage_column: Mapping[dt.date, bool],
) -> InjectedAnomaly:
    """One coverage_rate cell :data:`COVERAGE_GAP_PP` above the district's own counts."""
    candidates = [
        d
        for d in year
        if d >= COVERAGE_REPORT_DATE and d != MISSING_REPORT_DATE and has_coverage_column[d]
    ]
    if not candidates:
        raise ValueError(f"no file from {COVERAGE_REPORT_DATE} has a coverage_rate column")
    day = candidates[0]
    old = _row(rows, day, district)
    written = round(old.coverage_rate + COVERAGE_GAP_PP, 1)
    _swap(rows, day, replace(old, coverage_rate_as_written=written))
    return InjectedAnomaly(
        INTERNAL_CONSISTENCY,
        "coverage_rate",
        district,
        day,
        written,
        old.coverage_rate,
        "percent",
        f"coverage_rate {written} % is written where members paid / target gives "
        f"{old.coverage_rate} %",
        (day,),
    )


def _target_jump(
    rows: dict[dt.date, tuple[WeeklyRow, ...]], cbhi: CbhiSample, district: str
) -> InjectedAnomaly:
    """The district's 2021/22 target set :data:`TARGET_JUMP` above its true population."""
    fy = ANOMALY_FISCAL_YEAR
    previous = cbhi.targets[(district, fy - 1)]
    jumped = round(cbhi.true_eligible[(district, fy)] * (1 + TARGET_JUMP))
    days = [d for d in cbhi.report_dates if fiscal_year_start_year(d) == fy]
    for day in days:
        _swap(rows, day, replace(_row(rows, day, district), target_population=jumped))
    growth = (jumped / previous - 1) * 100
    usual = (cbhi.true_eligible[(district, fy)] / cbhi.true_eligible[(district, fy - 1)] - 1) * 100
    following = [d for d in cbhi.report_dates if fiscal_year_start_year(d) == fy + 1]
    return InjectedAnomaly(
        DENOMINATORS,
        "target_growth",
        district,
        days[0],
        round(growth, 2),
        round(usual, 2),
        "percent",
        f"RSSB's 2021/22 target {jumped:,} is {growth:.1f} % above 2020/21's {previous:,} "
        f"(population growth about {usual:.1f} %); it falls back in 2022/23",
        tuple(days + following),
    )
