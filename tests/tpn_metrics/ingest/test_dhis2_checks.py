"""Strict DHIS2 numbers, DHIS2's own factor against the seed's, and one org-unit level a file.

Sources: dhis2/dhis2-docs ``src/developer/web-api/analytics.md`` § "Request query parameters"
(``includeNumDen``: numerator, denominator, factor, multiplier, divisor; value = numerator /
denominator × factor), dhis2-core ``DefaultExpressionService`` (annualized indicators:
factor × days in the year / days in the period), § "hierarchyMeta" (``metaData.ouHierarchy``).
Review #22 P1-5, P1-6, P2-7.
"""

from __future__ import annotations

import pandas as pd
import pytest

from tpn_metrics.ingest.dhis2_checks import (
    Reconciled,
    exported_factor,
    nested_org_units,
    parse_dhis2_number,
    reconcile,
)


@pytest.mark.parametrize(
    ("text", "number"),
    [("81.1", 81.1), ("0", 0.0), ("1.5E3", 1500.0), ("-3", -3.0), ("12.", 12.0), (".5", 0.5)],
)
def test_numbers_as_dhis2_writes_them(text: str, number: float):
    assert parse_dhis2_number(text) == number


@pytest.mark.parametrize(
    "text", ["1_000", "１２", "١٢", "NaN", "nan", "inf", "Infinity", "1e999", "1,204", "1 000", ""]
)
def test_anything_else_is_not_a_number(text: str):
    with pytest.raises(ValueError):
        parse_dhis2_number(text)


def test_the_exact_factor_is_multiplier_over_divisor():
    assert exported_factor(36500.0, 31.0, 1177.4) == pytest.approx(1177.4193548)
    assert exported_factor(None, None, 1177.4) == 1177.4
    assert exported_factor(None, None, None) is None


def test_an_annualized_monthly_indicator_gets_the_months_share_of_the_denominator():
    # ANC coverage for March, annualized by DHIS2: factor 100 × 365 / 31 = 1177.419...,
    # denominator the year's expected pregnancies 30,144; value 2400 / 30144 × 1177.419 = 93.74.
    # On the seed's factor 100: den' = 30144 × 100 / 1177.419 = 30144 × 31 / 365 = 2560.175.
    done = reconcile(93.7, 2400.0, 30144.0, 36500.0 / 31.0, 100.0)
    assert done.denominator == pytest.approx(2560.17534, rel=1e-8)
    assert done.rescaled_from == pytest.approx(1177.4193548)
    assert 2400.0 / done.denominator * 100.0 == pytest.approx(93.7436, abs=1e-4)
    # DHIS2's written factor (1 decimal) gives the same within rounding.
    assert reconcile(93.7, 2400.0, 30144.0, 1177.4, 100.0).denominator == pytest.approx(
        2560.17534, rel=1e-4
    )


def test_the_seeds_factor_or_no_components_leave_the_row_as_it_is():
    assert reconcile(35.58, 417.0, 1172.0, 100.0, 100.0) == Reconciled(1172.0)
    assert reconcile(35.58, 417.0, 1172.0, None, 100.0) == Reconciled(1172.0)
    assert reconcile(93.7, None, None, 1177.4, 100.0) == Reconciled(None)
    assert reconcile(0.0, 0.0, 0.0, 100.0, 100.0) == Reconciled(0.0)


@pytest.mark.parametrize(
    ("value", "numerator", "denominator", "factor"),
    [
        (93.7, 2400.0, 30144.0, 100.0),  # annual denominator, but the factor says monthly
        (50.0, 122.0, 241.0, 100.0),  # 50.62 written as 50
        (7.96, 2400.0, 30144.0, 1177.4),
    ],
)
def test_value_and_components_that_disagree_beyond_rounding(
    value: float, numerator: float, denominator: float, factor: float
):
    done = reconcile(value, numerator, denominator, factor, 100.0)
    assert done.disagreement is not None
    assert done.disagreement.startswith(f"value {value:g} ≠ numerator / denominator × factor")
    assert done.rescaled_from is None


def _frame(rows: list[tuple[str, str, str, str, int]]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "data_item_uid": "hAn5xHe0lFz",
                "period_id": period,
                "org_unit_uid": uid,
                "org_unit_name_received": name,
                "org_unit_level": level,
                "row_number": number,
            }
            for uid, name, level, period, number in rows
        ]
    )


HIERARCHY = {
    "sector": ("rw", "kgl", "XOVMRuNHG6z"),
    "hc": ("rw", "kgl", "XOVMRuNHG6z", "sector"),
    "hospital": ("rw", "kgl", "XOVMRuNHG6z"),
}


def test_a_unit_beside_its_own_facility_is_refused():
    frame = _frame(
        [
            ("sector", "Kinyinya Sector", "health_centre", "202303", 1),
            ("hc", "Kinyinya HC", "health_centre", "202303", 2),
        ]
    )
    (reason,) = nested_org_units(frame, HIERARCHY, "row")
    assert reason.startswith(
        "org unit 'Kinyinya Sector' (sector) and 'Kinyinya HC' (hc) below it are both in the "
        "file for the same data and period (rows 1–2)"
    )
    assert "export one level" in reason


def test_a_district_row_beside_its_facilities_and_other_periods_are_fine():
    frame = _frame(
        [
            ("XOVMRuNHG6z", "Gasabo District", "district", "202303", 1),
            ("hc", "Kinyinya HC", "health_centre", "202303", 2),
            ("hospital", "Kibagabaga Hospital", "hospital", "202303", 3),
            ("sector", "Kinyinya Sector", "health_centre", "202304", 4),
            ("hc", "Kinyinya HC", "health_centre", "202305", 5),
        ]
    )
    assert nested_org_units(frame, HIERARCHY, "row") == []


def test_show_hierarchy_paths_tell_nesting_too():
    frame = _frame(
        [
            ("s1", "/Rwanda/Kigali City/Gasabo District/Kinyinya", "health_centre", "202303", 2),
            ("h1", "/Rwanda/Kigali City/Gasabo District/Kinyinya/Kinyinya HC", "health_centre",
             "202303", 3),
        ]
    )  # fmt: skip
    (reason,) = nested_org_units(frame, {}, "line")
    assert "'Kinyinya' (s1) and 'Kinyinya HC' (h1) below it" in reason
