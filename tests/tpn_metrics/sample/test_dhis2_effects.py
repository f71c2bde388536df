"""The manifest's DHIS2 effects and stale denominators, on a hand-made two-district network
whose every figure is computed by hand below."""

from __future__ import annotations

import datetime as dt

import pytest

from tpn_metrics.sample.dhis2_effects import (
    BASELINE_MONTHS,
    ENDLINE_MONTHS,
    service_topics,
    stale_denominators,
)
from tpn_metrics.sample.dhis2_values import TOPICS, Dhis2Values, OrgUnit, month_starts

BASE, END = dt.date(2020, 7, 1), dt.date(2022, 7, 1)
UNITS = (
    OrgUnit("DISTRICT_A", "A District", "district", "a", None),
    OrgUnit("DISTRICT_B", "B District", "district", "b", None),
    OrgUnit("CENTRE_A", "A Health Centre 1", "health_centre", "a", None),
    OrgUnit("CENTRE_B", "B Health Centre 1", "health_centre", "b", None),
    OrgUnit("HOSP_A", "A Hospital", "hospital", "a", "h_a"),
    OrgUnit("HOSP_B", "B Hospital", "hospital", "b", "h_b"),
)
# SAM cured / SAM exits per facility: district a 50/100 → 75/100 (+25 pp), b 60/100 → 65/100
# (+5 pp): +20 pp at district level. Hospital h_a 20/50 → 35/50 (+30), h_b 30/50 → 32/50 (+4):
# +26 pp at hospital level.
SAM = {
    ("CENTRE_A", BASE): (30, 50),
    ("HOSP_A", BASE): (20, 50),
    ("CENTRE_A", END): (40, 50),
    ("HOSP_A", END): (35, 50),
    ("CENTRE_B", BASE): (30, 50),
    ("HOSP_B", BASE): (30, 50),
    ("CENTRE_B", END): (33, 50),
    ("HOSP_B", END): (32, 50),
}


@pytest.fixture
def values() -> Dhis2Values:
    months = month_starts()
    counts: dict[tuple[str, str, str, dt.date], int] = {}
    for (uid, month), (cured, exits) in SAM.items():
        counts[(uid, "sam_cured", "Male", month)] = cured - 10
        counts[(uid, "sam_cured", "Female", month)] = 10
        counts[(uid, "sam_exits", "Male", month)] = exits
    # Expected pregnancies: a's DHIS2 figure 120 a month against 100 from the census (+20 %),
    # b's 95 against 100 (−5 %, within the 10 % that marks a district as stale).
    census = {}
    for unit, dhis2 in (("DISTRICT_A", 120), ("DISTRICT_B", 95)):
        for month in months:
            counts[(unit, "expected_pregnancies", "default", month)] = dhis2
            census[(unit.split("_")[1].lower(), month)] = 100.0
    sums: dict[tuple[str, str, dt.date], int] = {}
    for (uid, code, _, month), n in counts.items():
        sums[(uid, code, month)] = sums.get((uid, code, month), 0) + n
    topics = [t.topic for t in TOPICS] + ["data_quality"]
    return Dhis2Values(
        org_units=UNITS,
        items={},
        months=months,
        counts=counts,
        reports={(u.uid, m): (1, 1) for u in UNITS for m in months},
        focus_districts={t: frozenset({"a"}) for t in topics},
        focus_hospitals={t: frozenset({"h_a"}) for t in topics},
        census_expected=census,
        sums=sums,
    )


def test_achieved_effect_is_focus_minus_comparison_change(values: Dhis2Values) -> None:
    topics = {(t.topic, t.level): t for t in service_topics(values, dt.date(2023, 8, 1))}
    district = topics[("malnutrition", "district")]
    assert district.achieved == pytest.approx(20.0)
    assert (district.focus, district.comparison) == (("a",), ("b",))
    assert district.effect == 10.0 and district.unit == "% of SAM exits"
    assert district.effect_unit == "pp"
    assert topics[("birth_asphyxia", "hospital")].effect_unit == "per 1,000 live births"
    hospital = topics[("malnutrition", "hospital")]
    assert hospital.achieved == pytest.approx(26.0)
    assert (hospital.focus, hospital.comparison) == (("h_a",), ("h_b",))
    assert district.baseline_months == ("2020-07", "2021-02")
    assert district.endline_months == ("2022-07", "2023-06")
    # No data for a topic: nothing achieved, rather than a number from nothing.
    assert topics[("birth_asphyxia", "district")].achieved is None
    assert ("anc_first_visit", "hospital") not in topics
    # Every report on time everywhere: no effect on reporting.
    assert topics[("data_quality", "district")].achieved == 0.0


def test_no_achieved_effect_before_the_endline_is_delivered(values: Dhis2Values) -> None:
    last = ENDLINE_MONTHS[-1]
    early = dt.date(last.year, last.month + 1, 14)
    assert all(t.achieved is None for t in service_topics(values, early))
    assert BASELINE_MONTHS[-1] < dt.date(2021, 3, 1)


def test_stale_denominators_flag_districts_beyond_ten_percent(values: Dhis2Values) -> None:
    (stale,) = stale_denominators(values)
    assert stale.district_id == "a" and stale.direction == "too_high"
    assert dict(stale.dhis2_vs_census_pct) == {"2020/21": 20.0, "2021/22": 20.0, "2022/23": 20.0}
