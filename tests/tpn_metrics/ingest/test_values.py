"""Cell parsing: the forms senders use, and a clear error for everything else."""

import datetime as dt

import pytest

from tpn_metrics.ingest.readers import is_formula
from tpn_metrics.ingest.values import (
    CellError,
    parse_bool,
    parse_count,
    parse_date,
    parse_number,
)


@pytest.mark.parametrize(
    ("text", "day"),
    [
        ("2023-03-24", dt.date(2023, 3, 24)),
        ("24/03/2023", dt.date(2023, 3, 24)),
        ("24.03.2023", dt.date(2023, 3, 24)),
        ("2023-03-24T00:00:00", dt.date(2023, 3, 24)),
    ],
)
def test_dates(text: str, day: dt.date):
    assert parse_date(text) == day


@pytest.mark.parametrize("text", ["Friday", "2023-02-30", "03/24/2023", ""])
def test_bad_dates(text: str):
    with pytest.raises(CellError, match="is not a date"):
        parse_date(text)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("1204311", 1_204_311),
        ("1,204,311", 1_204_311),
        ("1 204 311", 1_204_311),
        ("1204311.0", 1_204_311),
        ("-5", -5),
    ],
)
def test_counts(text: str, value: int):
    assert parse_count(text) == value


def test_decimals_in_counts_are_named_as_such():
    with pytest.raises(CellError, match="has decimals"):
        parse_count("123456.5")
    with pytest.raises(CellError, match="not a whole number"):
        parse_count("about 300k")


def test_numbers_accept_decimal_comma_and_percent_sign():
    assert parse_number("80,5") == 80.5
    assert parse_number("80.5%") == 80.5
    with pytest.raises(CellError):
        parse_number("nan")
    with pytest.raises(CellError):
        parse_number("inf")


def test_booleans_in_three_languages():
    assert parse_bool("yes") and parse_bool("oui") and parse_bool("yego")
    assert not parse_bool("no")
    with pytest.raises(CellError):
        parse_bool("maybe")


@pytest.mark.parametrize(
    ("cell", "formula"),
    [
        ('=HYPERLINK("x")', True),
        ("@SUM(A1)", True),
        ("+cmd|' /C calc'!A0", True),
        ("-2+3", True),
        ("-5", False),
        ("+5", False),
        ("-", False),
        ("Gasabo", False),
    ],
)
def test_formula_detection(cell: str, formula: bool):
    assert is_formula(cell) is formula
