"""How the sample's DHIS2 numbers are drawn: the ramp, the stale projection, the focus rule."""

from __future__ import annotations

import datetime as dt
import re

import numpy as np
import pytest

from tpn_metrics.calendar import CENSUS_2012_DATE
from tpn_metrics.reference import District, load_districts, load_hospitals
from tpn_metrics.sample.design import build_design
from tpn_metrics.sample.dhis2_values import (
    DEFAULT_COC,
    TRACERS_TRACKED,
    Dhis2Values,
    birth_rate,
    build_dhis2_values,
    combo_uid,
    month_starts,
    placeholder_uid,
    ramp,
    stale_population,
)
from tpn_metrics.settings import Settings

SEEDS = Settings().seeds_dir


def test_ramp_starts_at_the_launch_month_and_is_full_a_year_later() -> None:
    assert ramp(dt.date(2021, 2, 1)) == 0.0
    assert ramp(dt.date(2021, 3, 1)) == 0.0
    assert ramp(dt.date(2021, 9, 1)) == pytest.approx(0.5)
    assert ramp(dt.date(2022, 3, 1)) == 1.0 and ramp(dt.date(2023, 6, 1)) == 1.0


def test_month_starts_cover_the_three_fiscal_years() -> None:
    months = month_starts()
    assert len(months) == 36 and months[0] == dt.date(2020, 7, 1)
    assert months[-1] == dt.date(2023, 6, 1)


def test_stale_projection_grows_at_the_national_rate() -> None:
    district = District("x", "X", "Eastern", 100_000, 150_000)
    later = CENSUS_2012_DATE + dt.timedelta(days=3652)
    expected = 100_000 * 1.024 ** (3652 / 365.25)
    assert stale_population(district, later) == pytest.approx(expected, rel=1e-9)


def test_birth_rate_after_the_seed_uses_its_last_year() -> None:
    rates = {2019: 31.25, 2020: 30.73}
    assert birth_rate(rates, 2019) == 31.25 and birth_rate(rates, 2023) == 30.73


def test_placeholder_uids_have_dhis2s_shape() -> None:
    uid = placeholder_uid("coc:Male")
    assert re.fullmatch(r"[A-Za-z][A-Za-z0-9]{10}", uid) and uid == placeholder_uid("coc:Male")
    assert combo_uid("default") == DEFAULT_COC and combo_uid("Male") != combo_uid("Female")


@pytest.fixture(scope="module")
def values() -> Dhis2Values:
    districts, hospitals = load_districts(SEEDS), load_hospitals(SEEDS)
    design = build_design(districts, hospitals, np.random.default_rng([2024, 1]))
    return build_dhis2_values(np.random.default_rng(5), districts, hospitals, design, SEEDS)


def test_components_are_whole_counts_within_their_denominators(values: Dhis2Values) -> None:
    pairs = [
        ("newborns_asphyxia", "live_births"),
        ("sam_cured", "sam_exits"),
        ("tracer_items_stocked_out", "tracer_items_tracked"),
        ("postpartum_fp_acceptors", "deliveries"),
    ]
    for unit in (o for o in values.org_units if o.level != "district"):
        for month in values.months[:3]:
            for numerator, denominator in pairs:
                num = values.total(unit.uid, numerator, [month])
                den = values.total(unit.uid, denominator, [month])
                assert 0 <= num <= den
            assert values.total(unit.uid, "tracer_items_tracked", [month]) == TRACERS_TRACKED
    hospital = next(o for o in values.org_units if o.level == "hospital")
    assert values.total(hospital.uid, "anc1_visits", values.months) == 0


def test_reports_received_on_time_only_when_received(values: Dhis2Values) -> None:
    assert all(on_time <= received for received, on_time in values.reports.values())
    assert {r for r, _ in values.reports.values()} == {0, 1}
