"""The sample's DHIS2 numbers: monthly data elements per facility, reporting per facility.

Each service topic is drawn per facility and month as a rate (in the indicator's unit) of a
denominator volume: baseline per facility, a secular trend for everyone, and — from the TPN
launch (:data:`~tpn_metrics.sample.network.LAUNCH_DAY`, March 2021) on, ramping up linearly over
:data:`RAMP_MONTHS` months — the topic's focus effect for the facilities in focus under the
design's rule (:mod:`tpn_metrics.sample.design`): a health centre when its district's DHMT chose
the topic, a hospital when it or its DHMT did. Comparison facilities get the trend only.
Numerators are whole counts, so a district's value is Σ numerators / Σ denominators × factor
over its facilities, exactly as DHIS2's analytics aggregates them.

ANC first visits happen at health centres only (hospitals write no ANC component); the ANC
denominator, "expected pregnancies", is a district-level data element DHIS2 derives from a
deliberately stale population projection: every district's 2012 census grown at one national
rate (:data:`STALE_GROWTH_PER_YEAR`) instead of between the two censuses, so fast-growing
districts' coverage is overstated and slow-growing ones' understated (the census-corrected
coverage of the warehouse differs visibly there). Expected pregnancies approximate expected live
births (population × crude birth rate × days in the month / days in the year), as docs/dhis2.md
says.

UIDs and names come from the committed seeds ``dhis2_org_units.csv`` and ``dhis2_data_items.csv``
read at run time; category option combos, the country and provinces get placeholder UIDs here.
"""

from __future__ import annotations

import calendar
import csv
import datetime as dt
import hashlib
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tpn_metrics.calendar import CENSUS_2012_DATE
from tpn_metrics.reference import District, Hospital
from tpn_metrics.sample.design import Design, districts_in_focus, hospitals_in_focus
from tpn_metrics.sample.network import LAUNCH_DAY
from tpn_metrics.sample.timeline import projected_population

FIRST_MONTH = dt.date(2020, 7, 1)
LAST_MONTH = dt.date(2023, 6, 1)
RAMP_MONTHS = 12
STALE_GROWTH_PER_YEAR = 0.024
"""The one national growth rate DHIS2's population projection applies to every district (/year)."""
STALE_FLAG_PCT = 10.0
"""|DHIS2 expected pregnancies / census-based − 1| above this (%) marks a district as stale."""
TRACERS_TRACKED = 15
DEFAULT_COC = "HllvX50cXC0"
"""DHIS2's default category option combo uid (the one every instance ships with)."""


@dataclass(frozen=True)
class Topic:
    """How one service topic is drawn: rates in the indicator's unit (``factor`` per 1)."""

    topic: str
    indicator: str
    numerator: str
    denominator: str
    factor: int
    unit: str
    effect: float
    """Focus effect once fully ramped up, in the indicator's unit (pp for a percentage)."""
    baseline: tuple[float, float]
    """Facility baselines drawn uniformly in this range (indicator's unit)."""
    trend_per_year: float
    noise_sd: float
    volume: tuple[int, int]
    """Monthly denominator at (health centre, hospital); unused for ANC, whose visits are drawn
    against the district's census-based expected pregnancies, at health centres only."""
    combos: tuple[str, ...]
    """Category option combos the numerator and denominator are disaggregated by (names)."""


TOPICS: tuple[Topic, ...] = (
    Topic("anc_first_visit", "anc1_coverage_pct", "anc1_visits", "expected_pregnancies", 100,
          "% of expected pregnancies", 8.0, (38.0, 52.0), 1.0, 1.5, (0, 0), ("<20y", "20y+")),
    Topic("birth_asphyxia", "birth_asphyxia_per_1000", "newborns_asphyxia", "live_births", 1000,
          "per 1,000 live births", -5.0, (18.0, 28.0), -0.5, 1.0, (70, 260), ("Male", "Female")),
    Topic("malnutrition", "sam_cure_rate_pct", "sam_cured", "sam_exits", 100,
          "% of SAM exits", 10.0, (68.0, 80.0), 1.0, 2.0, (30, 40), ("Male", "Female")),
    Topic("stock_outs", "tracer_stockout_pct", "tracer_items_stocked_out", "tracer_items_tracked",
          100, "% of tracer medicines", -6.0, (12.0, 20.0), -0.5, 1.5, (TRACERS_TRACKED,) * 2,
          ("default",)),
    Topic("family_planning", "postpartum_fp_uptake_pct", "postpartum_fp_acceptors", "deliveries",
          100, "% of deliveries", 9.0, (28.0, 40.0), 1.0, 1.5, (70, 260),
          ("Implant", "IUD", "Other modern")),
)  # fmt: skip
DATA_QUALITY = "data_quality"
REPORTING_EFFECT_PP = 15.0
"""Focus effect on the on-time reporting rate (pp of expected reports)."""
REPORTING_BASELINE = (0.55, 0.75)
REPORTING_RECEIVED = 0.95
"""Share of expected reports received at all (on time or late), everywhere, all months."""


@dataclass(frozen=True)
class OrgUnit:
    """A row of ``dhis2_org_units.csv``."""

    uid: str
    name: str
    level: str
    district_id: str
    hospital_id: str | None


@dataclass(frozen=True)
class DataItem:
    """A row of ``dhis2_data_items.csv``."""

    uid: str
    name: str
    item_type: str
    code: str
    factor: int


@dataclass(frozen=True)
class Dhis2Values:
    """Every number the DHIS2 files carry, before aggregation.

    ``counts`` maps (org unit uid, data element code, category option combo name, month start)
    to a whole count: health-centre and hospital components, and districts' expected pregnancies
    (combo "default"). ``reports`` maps (facility uid, month start) to (received, on time), 0/1.
    """

    org_units: tuple[OrgUnit, ...]
    items: dict[str, DataItem]
    months: tuple[dt.date, ...]
    counts: dict[tuple[str, str, str, dt.date], int]
    reports: dict[tuple[str, dt.date], tuple[int, int]]
    focus_districts: dict[str, frozenset[str]]
    focus_hospitals: dict[str, frozenset[str]]
    census_expected: dict[tuple[str, dt.date], float]
    """Expected pregnancies from the census projection (unrounded), per district and month."""
    sums: dict[tuple[str, str, dt.date], int]
    """``counts`` summed over category option combos: (org unit uid, code, month) → count."""

    @property
    def last_delivery(self) -> dt.date:
        """When the last month's export arrives: the 15th of the month after it."""
        last = self.months[-1]
        return dt.date(last.year + last.month // 12, last.month % 12 + 1, 15)

    def total(self, uid: str, code: str, months: Sequence[dt.date]) -> int:
        """Σ over category option combos and ``months`` of one org unit's data element."""
        return sum(self.sums.get((uid, code, m), 0) for m in months)

    def facilities_of(self, district_id: str) -> tuple[OrgUnit, ...]:
        """The district's health centres and hospitals (seed order)."""
        return tuple(
            o
            for o in self.org_units
            if o.district_id == district_id and o.level in ("health_centre", "hospital")
        )

    def district_unit(self, district_id: str) -> OrgUnit:
        """The district's own org unit; StopIteration when the seed lacks it."""
        return next(
            o for o in self.org_units if o.level == "district" and o.district_id == district_id
        )


def placeholder_uid(key: str) -> str:
    """A DHIS2-shaped uid (a letter then ten letters or digits) derived from ``key``."""
    alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
    digest = hashlib.sha256(key.encode()).digest()
    return alphabet[digest[0] % 52] + "".join(alphabet[b % 62] for b in digest[1:11])


def combo_uid(name: str) -> str:
    """The placeholder uid of a category option combo (DHIS2's own for "default")."""
    return DEFAULT_COC if name == "default" else placeholder_uid(f"coc:{name}")


def load_org_units(seeds_dir: Path) -> tuple[OrgUnit, ...]:
    """``dhis2_org_units.csv`` in seed order."""
    with (seeds_dir / "dhis2_org_units.csv").open(newline="", encoding="utf-8") as handle:
        return tuple(
            OrgUnit(
                r["org_unit_uid"],
                r["org_unit_name"],
                r["org_unit_level"],
                r["district_id"],
                r["hospital_id"] or None,
            )
            for r in csv.DictReader(handle)
        )


def load_data_items(seeds_dir: Path) -> dict[str, DataItem]:
    """``dhis2_data_items.csv`` keyed by item code."""
    with (seeds_dir / "dhis2_data_items.csv").open(newline="", encoding="utf-8") as handle:
        return {
            r["item_code"]: DataItem(
                r["dhis2_uid"], r["dhis2_name"], r["item_type"], r["item_code"], int(r["factor"])
            )
            for r in csv.DictReader(handle)
        }


def crude_birth_rates(seeds_dir: Path) -> dict[int, float]:
    """``crude_birth_rates.csv``: year → live births per 1,000 population."""
    with (seeds_dir / "crude_birth_rates.csv").open(newline="", encoding="utf-8") as handle:
        return {
            int(r["year"]): float(r["crude_birth_rate_per_1000"]) for r in csv.DictReader(handle)
        }


def birth_rate(rates: dict[int, float], year: int) -> float:
    """The crude birth rate of ``year``; later years than the seed's use its last year's."""
    return rates[min(year, max(rates))]


def month_starts(first: dt.date = FIRST_MONTH, last: dt.date = LAST_MONTH) -> tuple[dt.date, ...]:
    """First days of every month from ``first`` to ``last`` inclusive."""
    out, month = [], first
    while month <= last:
        out.append(month)
        month = dt.date(month.year + month.month // 12, month.month % 12 + 1, 1)
    return tuple(out)


def mid_month(month: dt.date) -> dt.date:
    """The 15th of ``month``: the mid-point the populations refer to."""
    return month.replace(day=15)


def ramp(month: dt.date) -> float:
    """Share of the focus effect reached in ``month``: 0 at launch, 1 after RAMP_MONTHS."""
    since = (month.year - LAUNCH_DAY.year) * 12 + month.month - LAUNCH_DAY.month
    return min(1.0, max(0.0, since / RAMP_MONTHS))


def stale_population(district: District, day: dt.date) -> float:
    """DHIS2's projection: the 2012 census grown at the national rate, persons (unrounded)."""
    years = (day - CENSUS_2012_DATE).days / 365.25
    return float(district.population_2012 * (1 + STALE_GROWTH_PER_YEAR) ** years)


def build_dhis2_values(
    rng: np.random.Generator,
    districts: Sequence[District],
    hospitals: Sequence[Hospital],
    design: Design,
    seeds_dir: Path,
) -> Dhis2Values:
    """Draw every component count and report with ``rng`` (the generator's DHIS2 stream).

    Raises KeyError when a seed lacks a code this module draws (e.g. ``anc1_visits``).
    """
    org_units = load_org_units(seeds_dir)
    items = load_data_items(seeds_dir)
    for topic in TOPICS:
        _ = items[topic.indicator], items[topic.numerator], items[topic.denominator]
    rates = crude_birth_rates(seeds_dir)
    months = month_starts()
    topics = [t.topic for t in TOPICS] + [DATA_QUALITY]
    focus_d = {
        t: frozenset(districts_in_focus(t, design.institutions, design.priorities)) for t in topics
    }
    focus_h = {
        t: frozenset(hospitals_in_focus(t, design.institutions, design.priorities, hospitals))
        for t in topics
    }
    facilities = [o for o in org_units if o.level in ("health_centre", "hospital")]
    centres = Counter(o.district_id for o in org_units if o.level == "health_centre")
    census = {
        (d.district_id, m): projected_population(d.population_2012, d.population_2022, mid_month(m))
        * birth_rate(rates, m.year)
        / 1000
        * calendar.monthrange(m.year, m.month)[1]
        / (366 if calendar.isleap(m.year) else 365)
        for d in districts
        for m in months
    }
    counts: dict[tuple[str, str, str, dt.date], int] = {}
    for district in districts:
        unit = next(
            o for o in org_units if o.level == "district" and o.district_id == district.district_id
        )
        for m in months:
            expected = stale_population(district, mid_month(m)) * birth_rate(rates, m.year) / 12000
            counts[(unit.uid, "expected_pregnancies", "default", m)] = round(expected)

    def in_focus(unit: OrgUnit, topic: str) -> bool:
        if unit.level == "hospital":
            return unit.hospital_id in focus_h[topic]
        return unit.district_id in focus_d[topic]

    for topic in TOPICS:
        for unit in facilities:
            is_hc = unit.level == "health_centre"
            base = float(rng.uniform(*topic.baseline))
            shares = rng.dirichlet([8.0] * len(topic.combos))
            for m in months:
                years = (m - FIRST_MONTH).days / 365.25
                effect = topic.effect * ramp(m) if in_focus(unit, topic.topic) else 0.0
                rate = base + topic.trend_per_year * years + effect
                rate += float(rng.normal(0, topic.noise_sd))
                rate = min(max(rate, 0.0), float(topic.factor))
                if topic.topic == "anc_first_visit":
                    if not is_hc:
                        continue
                    # The district's true expected pregnancies, shared by its health centres.
                    volume = census[(unit.district_id, m)] / centres[unit.district_id]
                else:
                    volume = float(topic.volume[0 if is_hc else 1])
                    if topic.topic != "stock_outs":
                        volume *= float(rng.uniform(0.9, 1.1))
                numerator = round(volume * rate / topic.factor)
                denominator = round(volume)
                nums = _split(rng, numerator, shares)
                dens = _split_over(rng, denominator, nums, shares)
                for name, num, den in zip(topic.combos, nums, dens, strict=True):
                    counts[(unit.uid, topic.numerator, name, m)] = num
                    if topic.topic != "anc_first_visit":
                        counts[(unit.uid, topic.denominator, name, m)] = den
    reports: dict[tuple[str, dt.date], tuple[int, int]] = {}
    for unit in facilities:
        base = float(rng.uniform(*REPORTING_BASELINE))
        # Error diffusion rather than independent draws: a facility's count of reports over
        # any run of months is within one of its expected count, as a facility's habits keep
        # it, instead of swinging by chance (months start at a random phase per facility).
        on_time_sum = received_sum = float(rng.random())
        for m in months:
            effect = REPORTING_EFFECT_PP / 100 * ramp(m) if in_focus(unit, DATA_QUALITY) else 0.0
            trend = 0.01 * (m - FIRST_MONTH).days / 365.25
            on_time_p = min(base + trend + effect, REPORTING_RECEIVED)
            on_time = int(on_time_sum + on_time_p) - int(on_time_sum)
            received = max(on_time, int(received_sum + REPORTING_RECEIVED) - int(received_sum))
            on_time_sum += on_time_p
            received_sum += REPORTING_RECEIVED
            reports[(unit.uid, m)] = (received, on_time)
    sums: dict[tuple[str, str, dt.date], int] = {}
    for (uid, code, _, month), n in counts.items():
        sums[(uid, code, month)] = sums.get((uid, code, month), 0) + n
    return Dhis2Values(org_units, items, months, counts, reports, focus_d, focus_h, census, sums)


def _split(rng: np.random.Generator, total: int, shares: np.ndarray) -> list[int]:
    """``total`` split over combos in roughly ``shares`` (whole counts summing to ``total``)."""
    return [int(n) for n in rng.multinomial(total, shares)]


def _split_over(
    rng: np.random.Generator, total: int, floors: list[int], shares: np.ndarray
) -> list[int]:
    """``total`` split so each part is at least its numerator ``floors`` (whole counts)."""
    rest = total - sum(floors)
    extra = rng.multinomial(max(rest, 0), shares)
    return [f + int(e) for f, e in zip(floors, extra, strict=True)]
