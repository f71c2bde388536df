"""Worked examples by hand for the population projections."""

import datetime as dt
import math

import pytest

from tpn_metrics.calendar import CENSUS_2022_DATE
from tpn_metrics.population.projection import (
    cbhi_target,
    census_fraction,
    coverage_pct,
    project,
    projection_range,
    round_half_away,
    scale_to_control_total,
)
from tpn_metrics.reference import load_districts
from tpn_metrics.settings import Settings

# A district of 100,000 in 2012 and 121,000 in 2022 (+21 % in ten years: 1.1² = 1.21).
P2012, P2022 = 100_000, 121_000


def test_census_interval_is_counted_in_days():
    # 15 Aug 2012 → 15 Aug 2022 holds the leap days of 2016 and 2020: 3,650 + 2 = 3,652 days.
    # 15 Aug 2012 → 15 Aug 2017 holds 2016's: 1,826 days, exactly half.
    assert census_fraction(dt.date(2017, 8, 15)) == 0.5
    assert census_fraction(dt.date(2027, 8, 15)) == 1.5  # 2024 is a leap year: 1,826 more


def test_midpoint_worked_example():
    day = dt.date(2017, 8, 15)
    # linear: 100,000 + 21,000 × 0.5 = 110,500
    assert project(P2012, P2022, day, "linear") == 110_500
    # geometric: 100,000 × 1.21^0.5 = 100,000 × 1.1 = 110,000
    assert project(P2012, P2022, day, "geometric") == 110_000
    # exponential: 100,000 × e^(ln 1.21 × 0.5) = 110,000 — the same curve as geometric
    assert project(P2012, P2022, day, "exponential") == 110_000
    assert projection_range(P2012, P2022, day) == (110_000, 110_000, 110_500)


def test_extrapolation_after_last_census_worked_example():
    day = dt.date(2027, 8, 15)
    # geometric: 100,000 × 1.21^1.5 = 100,000 × 1.331 = 133,100
    assert project(P2012, P2022, day, "geometric") == 133_100
    # linear: 100,000 + 21,000 × 1.5 = 131,500
    assert project(P2012, P2022, day, "linear") == 131_500
    low, central, high = projection_range(P2012, P2022, day)
    assert (low, central, high) == (131_500, 133_100, 133_100)


def test_a_real_date_between_reference_nights():
    # 2021-03-26 is 3,145 days after 15 Aug 2012.
    day = dt.date(2021, 3, 26)
    f = 3145 / 3652
    assert census_fraction(day) == pytest.approx(f)
    assert project(P2012, P2022, day, "geometric") == round(100_000 * 1.21**f)
    assert project(P2012, P2022, day, "linear") == round(100_000 + 21_000 * f)


def test_every_district_reproduces_the_2022_census_exactly():
    districts = load_districts(Settings().seeds_dir)
    assert len(districts) == 30
    for district in districts:
        for method in ("linear", "geometric", "exponential"):
            assert (
                project(
                    district.population_2012, district.population_2022, CENSUS_2022_DATE, method
                )
                == district.population_2022
            ), (district.district_id, method)
    assert sum(d.population_2022 for d in districts) == 13_246_394


def test_rounding_is_half_away_from_zero():
    assert round_half_away(110_949.5) == 110_950
    assert round_half_away(2.5) == 3  # Python's round() would give 2
    assert round_half_away(2.4999) == 2


def test_control_total_sums_exactly_and_moves_each_by_under_one():
    projections = {"a": 333_333, "b": 333_333, "c": 333_334}
    scaled = scale_to_control_total(projections, 1_000_001)
    assert sum(scaled.values()) == 1_000_001
    for key, value in projections.items():
        exact = value * 1_000_001 / 1_000_000
        assert abs(scaled[key] - exact) < 1


def test_cbhi_target_and_coverage():
    # 110,000 residents, 10 % covered elsewhere → 99,000 eligible for CBHI.
    assert cbhi_target(110_000, 0.10) == 99_000
    assert coverage_pct(94_050, 99_000) == pytest.approx(95.0)
    with pytest.raises(ValueError, match="other_scheme_share"):
        cbhi_target(1000, 1.0)
    with pytest.raises(ValueError, match="unknown projection method"):
        project(P2012, P2022, day=dt.date(2020, 1, 1), method="logistic")
    assert math.isclose(coverage_pct(1, 3), 100 / 3)


def test_district_projections_honour_a_national_control_total():
    from tpn_metrics.population.projection import project_districts

    districts = {
        d.district_id: (d.population_2012, d.population_2022)
        for d in load_districts(Settings().seeds_dir)
    }
    day = dt.date(2024, 8, 15)
    free = project_districts(districts, day)
    scaled = project_districts(districts, day, control_total=14_000_000)
    assert sum(scaled.values()) == 14_000_000
    factor = 14_000_000 / sum(free.values())
    for district, value in free.items():
        assert abs(scaled[district] - value * factor) < 1
    # Without a control total the 2022 census comes back exactly.
    assert project_districts(districts, CENSUS_2022_DATE) == {k: v[1] for k, v in districts.items()}
