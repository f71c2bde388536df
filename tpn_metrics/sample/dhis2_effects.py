"""What the sample's DHIS2 files were drawn to show, measured back from the written numbers.

For each service topic and level (district, hospital) the manifest records the chosen focus
effect (in the indicator's unit: pp for a percentage, per 1,000 for asphyxia), the focus and
comparison ids, the baseline window (the months before the launch) and the endline window
(fiscal year 2022/23, the effect fully ramped up), and the effect the files actually give:
mean change of the focus institutions minus mean change of the comparison institutions, each
institution's value over a window being Σ numerators / Σ denominators × factor of the written
monthly rows (never an average of monthly rates). ANC is recorded twice: as DHIS2 gives it
(``anc1_coverage_pct``, over DHIS2's stale expected pregnancies) and census-corrected
(``anc1_coverage_corrected_pct``, over expected pregnancies from the census projection ×
crude birth rate × days in the month / days in the year, as the warehouse corrects it), the
effect being drawn on the true coverage. Also the districts whose DHIS2 "expected
pregnancies" (stale projection) are far from the census projection.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from tpn_metrics.calendar import fiscal_year_label
from tpn_metrics.sample.dhis2_periods import REPORTING_CODES, indicator_measures, reporting_measures
from tpn_metrics.sample.dhis2_values import (
    DATA_QUALITY,
    REPORTING_EFFECT_PP,
    STALE_FLAG_PCT,
    TOPICS,
    Dhis2Values,
    month_starts,
)

CORRECTED_ANC = "anc1_coverage_corrected_pct"
BASELINE_MONTHS = month_starts(dt.date(2020, 7, 1), dt.date(2021, 2, 1))
ENDLINE_MONTHS = month_starts(dt.date(2022, 7, 1), dt.date(2023, 6, 1))


@dataclass(frozen=True)
class ServiceTopic:
    """A topic's focus effect at one level, as drawn (``effect``) and as written (``achieved``)."""

    topic: str
    item_code: str
    level: str
    effect: float
    unit: str
    focus: tuple[str, ...]
    comparison: tuple[str, ...]
    baseline_months: tuple[str, str]
    endline_months: tuple[str, str]
    achieved: float | None
    """Focus minus comparison mean change (indicator's unit); None when not all written."""

    @property
    def effect_unit(self) -> str:
        """The unit of ``effect`` and ``achieved``: ``pp`` for a percentage, else the unit."""
        return "pp" if self.unit.startswith("%") else self.unit

    def to_json_dict(self) -> dict[str, Any]:
        """JSON-ready form for the manifest's ``service_topics``."""
        return {
            "topic": self.topic,
            "item_code": self.item_code,
            "level": self.level,
            "effect": self.effect,
            "effect_unit": self.effect_unit,
            "unit": self.unit,
            "focus": list(self.focus),
            "comparison": list(self.comparison),
            "baseline_months": list(self.baseline_months),
            "endline_months": list(self.endline_months),
            "achieved": self.achieved,
        }


@dataclass(frozen=True)
class StaleDenominator:
    """A district whose DHIS2 expected pregnancies are far from the census-based ones."""

    district_id: str
    direction: str
    """``too_low`` (DHIS2 coverage overstated) or ``too_high`` (understated)."""
    dhis2_vs_census_pct: tuple[tuple[str, float], ...]
    """(fiscal year, (DHIS2 expected / census-based expected − 1) × 100)."""

    def to_json_dict(self) -> dict[str, Any]:
        """JSON-ready form for the manifest's ``dhis2_anc_denominators``."""
        return {
            "district_id": self.district_id,
            "direction": self.direction,
            "dhis2_vs_census_pct": dict(self.dhis2_vs_census_pct),
        }


def _delivered(month: dt.date) -> dt.date:
    """The 15th of the month after ``month``: when its export arrives."""
    return dt.date(month.year + month.month // 12, month.month % 12 + 1, 15)


def _label(months: Sequence[dt.date]) -> tuple[str, str]:
    return (months[0].strftime("%Y-%m"), months[-1].strftime("%Y-%m"))


def _window_value(
    values: Dhis2Values, code: str, level: str, key: str, months: Sequence[dt.date]
) -> float | None:
    """Σ num / Σ den × factor of one institution (district id or hospital id) over ``months``.

    ``anc1_coverage_corrected_pct``: ANC first visits over the census-based expected
    pregnancies (the warehouse's corrected coverage), unrounded.
    """
    if code == CORRECTED_ANC:
        visits = sum(values.total(f.uid, "anc1_visits", months) for f in values.facilities_of(key))
        expected = sum(values.census_expected[(key, m)] for m in months)
        return visits / expected * 100
    if level == "district":
        units = [f.uid for f in values.facilities_of(key)]
        district_uid: str | None = values.district_unit(key).uid
    else:
        units = [o.uid for o in values.org_units if o.hospital_id == key]
        district_uid = None
    measures = indicator_measures(values, units, district_uid, months)
    measures += reporting_measures(values, units, months)
    (measure,) = [m for m in measures if m.code == code]
    if not measure.denominator or measure.numerator is None:
        return None
    return measure.numerator / measure.denominator * measure.factor


def service_topics(values: Dhis2Values, today: dt.date) -> tuple[ServiceTopic, ...]:
    """Every service topic's effect at district and (but ANC) hospital level."""
    written = [m for m in values.months if _delivered(m) <= today]
    complete = all(m in written for m in (*BASELINE_MONTHS, *ENDLINE_MONTHS))
    specs = [(t.topic, t.indicator, t.effect, t.unit) for t in TOPICS]
    anc = next(t for t in TOPICS if t.topic == "anc_first_visit")
    specs.insert(1, (anc.topic, CORRECTED_ANC, anc.effect, anc.unit))
    specs.append(
        (
            DATA_QUALITY,
            REPORTING_CODES["REPORTING_RATE_ON_TIME"],
            REPORTING_EFFECT_PP,
            "% of expected reports",
        )
    )
    districts = sorted({o.district_id for o in values.org_units if o.level == "district"})
    hospitals = sorted(
        {o.hospital_id for o in values.org_units if o.level == "hospital" and o.hospital_id}
    )
    out = []
    for topic, code, effect, unit in specs:
        levels = [("district", districts, values.focus_districts[topic])]
        if topic != "anc_first_visit":
            levels.append(("hospital", hospitals, values.focus_hospitals[topic]))
        for level, ids, in_focus in levels:
            focus = tuple(i for i in ids if i in in_focus)
            comparison = tuple(i for i in ids if i not in in_focus)
            achieved = None
            if complete and focus and comparison:
                changes = [_mean_change(values, code, level, ids) for ids in (focus, comparison)]
                if changes[0] is not None and changes[1] is not None:
                    achieved = round(changes[0] - changes[1], 4)
            windows = _label(BASELINE_MONTHS), _label(ENDLINE_MONTHS)
            out.append(
                ServiceTopic(
                    topic, code, level, effect, unit, focus, comparison, *windows, achieved
                )
            )
    return tuple(out)


def _mean_change(values: Dhis2Values, code: str, level: str, ids: Sequence[str]) -> float | None:
    changes = []
    for key in ids:
        before = _window_value(values, code, level, key, BASELINE_MONTHS)
        after = _window_value(values, code, level, key, ENDLINE_MONTHS)
        if before is not None and after is not None:
            changes.append(after - before)
    return float(np.mean(changes)) if changes else None


def stale_denominators(values: Dhis2Values) -> tuple[StaleDenominator, ...]:
    """Districts whose DHIS2 expected pregnancies differ from the census-based ones by more than
    :data:`STALE_FLAG_PCT` % in some fiscal year (projection at
    ``STALE_GROWTH_PER_YEAR`` per year)."""
    out = []
    for unit in (o for o in values.org_units if o.level == "district"):
        pct = []
        for fy in (2020, 2021, 2022):
            months = month_starts(dt.date(fy, 7, 1), dt.date(fy + 1, 6, 1))
            dhis2 = values.total(unit.uid, "expected_pregnancies", months)
            census = sum(values.census_expected[(unit.district_id, m)] for m in months)
            pct.append((fiscal_year_label(fy), round((dhis2 / census - 1) * 100, 2)))
        worst = max((p for _, p in pct), key=abs)
        if abs(worst) > STALE_FLAG_PCT:
            direction = "too_low" if worst < 0 else "too_high"
            out.append(StaleDenominator(unit.district_id, direction, tuple(pct)))
    return tuple(out)
