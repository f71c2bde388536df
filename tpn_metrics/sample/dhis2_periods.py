"""DHIS2 period ids and names for the sample's files, and the measures over a set of months.

Period ids follow DHIS2's ISO formats (dhis2-docs ``src/developer/web-api/data.md``, the period
types table): Monthly ``202303``, Quarterly ``2023Q1``, Yearly ``2023``, FinancialJuly
``2022July`` (1 July 2022 – 30 June 2023). A measure over several months is what DHIS2's
analytics returns for a longer period: Σ numerators / Σ denominators × factor, never an average
of monthly rates.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from tpn_metrics.sample.delivery import OFFICE_HOURS, kigali
from tpn_metrics.sample.dhis2_values import DATA_QUALITY, TOPICS, Dhis2Values

MONTH_NAMES = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]
REPORTING_METRICS = (
    "REPORTING_RATE",
    "REPORTING_RATE_ON_TIME",
    "ACTUAL_REPORTS",
    "ACTUAL_REPORTS_ON_TIME",
    "EXPECTED_REPORTS",
)
REPORTING_CODES = {
    "REPORTING_RATE": "hmis_reporting_rate_pct",
    "REPORTING_RATE_ON_TIME": "hmis_reporting_rate_on_time_pct",
    "ACTUAL_REPORTS": "hmis_actual_reports",
    "ACTUAL_REPORTS_ON_TIME": "hmis_actual_reports_on_time",
    "EXPECTED_REPORTS": "hmis_expected_reports",
}


@dataclass(frozen=True)
class Period:
    """A DHIS2 period: its id, type name, display name and the months it covers."""

    period_id: str
    period_type: str
    name: str
    months: tuple[dt.date, ...]

    @property
    def start(self) -> dt.date:
        """First day."""
        return self.months[0]

    @property
    def end(self) -> dt.date:
        """Last day."""
        last = self.months[-1]
        return dt.date(last.year + last.month // 12, last.month % 12 + 1, 1) - dt.timedelta(days=1)


def monthly(month: dt.date) -> Period:
    """``202303`` "March 2023"."""
    return Period(
        f"{month.year}{month.month:02d}",
        "Monthly",
        f"{MONTH_NAMES[month.month - 1]} {month.year}",
        (month,),
    )


def quarterly(year: int, quarter: int) -> Period:
    """``2023Q1`` "January - March 2023"."""
    months = tuple(dt.date(year, 3 * quarter - 2 + i, 1) for i in range(3))
    name = f"{MONTH_NAMES[3 * quarter - 3]} - {MONTH_NAMES[3 * quarter - 1]} {year}"
    return Period(f"{year}Q{quarter}", "Quarterly", name, months)


def yearly(year: int) -> Period:
    """``2023`` "2023"."""
    return Period(str(year), "Yearly", str(year), tuple(dt.date(year, m, 1) for m in range(1, 13)))


def financial_july(start_year: int) -> Period:
    """``2022July`` "July 2022 - June 2023" (Rwanda's fiscal year 2022/23)."""
    months = tuple(dt.date(start_year + (m < 7), m, 1) for m in (*range(7, 13), *range(1, 7)))
    return Period(
        f"{start_year}July", "FinancialJuly", f"July {start_year} - June {start_year + 1}", months
    )


def delivery_time(last: Period) -> dt.datetime:
    """When an export ending with ``last`` arrives: the 15th of the next month, 10:00 Kigali."""
    end = last.end
    return kigali(dt.date(end.year + end.month // 12, end.month % 12 + 1, 15), OFFICE_HOURS)


def dhis2_round(value: float) -> float:
    """DHIS2 analytics' default rounding: 2 decimals, half up (``MathUtils.getRounded``)."""
    return float(Decimal(repr(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def java_double(value: float) -> str:
    """A number as Java's ``Double.toString`` writes it in this range (``"12.0"``, ``"81.25"``)."""
    return repr(float(value))


@dataclass(frozen=True)
class Measure:
    """One analytics row's numbers: value (``None`` when the denominator is 0) and its parts."""

    code: str
    value: float | None
    numerator: int | None
    denominator: int | None
    factor: int


def indicator_measures(
    values: Dhis2Values, units: Sequence[str], district_uid: str | None, months: Sequence[dt.date]
) -> list[Measure]:
    """Every topic's indicator over ``units`` (facility uids) and ``months``.

    ``district_uid`` given: ANC's denominator is that district's expected pregnancies; without
    it (a hospital) ANC is left out, as hospitals write no ANC component.
    """
    out = []
    for topic in TOPICS:
        if topic.topic == "anc_first_visit":
            if district_uid is None:
                continue
            den = values.total(district_uid, topic.denominator, months)
        else:
            den = sum(values.total(u, topic.denominator, months) for u in units)
        num = sum(values.total(u, topic.numerator, months) for u in units)
        value = dhis2_round(num / den * topic.factor) if den else None
        out.append(Measure(topic.indicator, value, num, den, topic.factor))
    return out


def reporting_measures(
    values: Dhis2Values, units: Sequence[str], months: Sequence[dt.date]
) -> list[Measure]:
    """The HMIS data set's five reporting metrics over ``units`` (facilities) and ``months``."""
    expected = len(units) * len(months)
    actual = sum(values.reports[(u, m)][0] for u in units for m in months)
    on_time = sum(values.reports[(u, m)][1] for u in units for m in months)

    def rate(n: int) -> float | None:
        return dhis2_round(n / expected * 100) if expected else None

    return [
        Measure(REPORTING_CODES["REPORTING_RATE"], rate(actual), actual, expected, 100),
        Measure(REPORTING_CODES["REPORTING_RATE_ON_TIME"], rate(on_time), on_time, expected, 100),
        Measure(REPORTING_CODES["ACTUAL_REPORTS"], float(actual), None, None, 1),
        Measure(REPORTING_CODES["ACTUAL_REPORTS_ON_TIME"], float(on_time), None, None, 1),
        Measure(REPORTING_CODES["EXPECTED_REPORTS"], float(expected), None, None, 1),
    ]


def topic_codes(topic: str) -> tuple[str, ...]:
    """Item codes an analytics file of ``topic`` carries."""
    if topic == DATA_QUALITY:
        return tuple(REPORTING_CODES[m] for m in REPORTING_METRICS)
    return tuple(t.indicator for t in TOPICS if t.topic == topic)
