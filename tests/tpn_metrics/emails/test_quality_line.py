"""The district email's data-quality line: the issue's example word for word, the three
languages with the same keys and placeholders (the Kinyarwanda not English), the line in the
rendered email, and no line (nothing else changed) when the week has no review."""

from __future__ import annotations

import datetime as dt
import re
import string
from dataclasses import replace

import pytest

from tests.tpn_metrics.emails.sample_week import make_week
from tpn_metrics.emails.content import render_district_email, render_district_html
from tpn_metrics.emails.quality_line import (
    QUALITY_LABELS,
    about,
    data_quality_line,
    unusual_value_text,
)
from tpn_metrics.quality.records import Cell, Dimension, DistrictQuality, Flag, Status

DAY = dt.date(2023, 3, 24)


def _flag(
    dimension: Dimension, measure: str, observed: float, expected: float | None, unit: str
) -> Flag:
    return Flag(
        "f",
        "rssb_weekly",
        "gasabo",
        None,
        DAY,
        None,
        dimension,
        measure,
        observed,
        expected,
        unit,
        "detail",
    )


SPIKE = _flag(Dimension.OUTLIERS, "members_paid_increment", 41_200, 3_040, "members")


def quality(
    *flags: Flag, status: str = "on_time", reported: bool = True, days: float | None = 0.7
) -> DistrictQuality:
    counts = {f.dimension: 0 for f in flags}
    for f in flags:
        counts[f.dimension] += 1
    cells = tuple(
        Cell(d, "flagged" if counts.get(d) else "ok", counts.get(d, 0)) for d in Dimension
    )
    return DistrictQuality(
        "gasabo",
        "Gasabo",
        DAY,
        status,
        days,
        reported,
        100.0,
        cells,
        flags,  # type: ignore[arg-type]
    )


def test_the_issues_example():
    assert data_quality_line(quality(SPIKE)) == (
        "Your data this week: on time, complete, one unusual value: members paid rose by "
        "41,200 (usual weekly rise about 3,000)"
    )


@pytest.mark.parametrize(
    ("value", "rounded"),
    [(3_050, 3_100), (3_049, 3_000), (12_345, 12_000), (87, 87), (0, 0), (-449, -450)],
)
def test_about_keeps_two_significant_figures(value: float, rounded: int):
    assert about(value) == rounded


def test_late_incomplete_and_several_values():
    fall = _flag(Dimension.OUTLIERS, "negative_increment", -1_520, 0, "members")
    rate = _flag(Dimension.INTERNAL_CONSISTENCY, "coverage_rate", 83.2, 80.0, "percent")
    missing = _flag(Dimension.COMPLETENESS, "district_missing", 0, 1, "ratio")
    line = data_quality_line(quality(fall, rate, missing, status="late", days=2.5))
    assert line == (
        "Your data this week: late (2.5 days after the Friday), incomplete (100.0% of required "
        "fields filled), 2 unusual values: members paid fell by 1,520 (an RSSB correction); "
        "RSSB's coverage rate 83.2%, members paid ÷ target 80.0%"
    )


def test_missing_district_and_backfilled_file():
    line = data_quality_line(quality(status="backfilled", reported=False))
    assert line == (
        "Your data this week: loaded from history (no delivery time), your district is missing "
        "from the file, no unusual value"
    )


def test_a_low_rise_says_only():
    low = _flag(Dimension.OUTLIERS, "members_paid_increment", 120, 3_040, "members")
    assert (
        unusual_value_text(low) == "members paid rose by only 120 (usual weekly rise about 3,000)"
    )


def _placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_every_language_has_the_same_keys_and_placeholders():
    english = QUALITY_LABELS["en"]
    for language, words in QUALITY_LABELS.items():
        assert set(words) == set(english), language
        for key, text in words.items():
            assert _placeholders(text) == _placeholders(english[key]), (language, key)


@pytest.mark.parametrize("language", ["fr", "rw"])
def test_the_translations_are_not_english(language: str):
    line = data_quality_line(quality(SPIKE), language)
    english_words = {"your", "data", "this", "week", "time", "unusual", "value", "members", "rose"}
    assert not english_words & set(re.findall(r"[a-z]+", line.lower())), line
    assert ("41 200" if language == "fr" else "41,200") in line.replace("\u202f", " ")


def test_the_french_numbers_use_french_separators():
    line = data_quality_line(quality(SPIKE), "fr")
    assert "41\u202f200" in line and "3\u202f000" in line


def test_the_line_is_in_both_parts_of_the_email():
    week = replace(make_week(), data_quality=quality(SPIKE))
    message = render_district_email(week, recipients=["team@example.org"], sender="tpn@example.org")
    expected = data_quality_line(quality(SPIKE))
    text = message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    html = message.get_body(("html",)).get_content()  # type: ignore[union-attr]
    assert expected in text and expected in html


def test_without_a_review_the_email_is_unchanged():
    week = make_week()
    assert week.data_quality is None
    plain = render_district_html(week)
    with_line = render_district_html(replace(week, data_quality=quality(SPIKE)))
    assert "Your data this week" not in plain and "Your data this week" in with_line
    assert (
        with_line.replace(
            re.search(
                r"<tr>\n<td[^>]*>\n<p style=\"margin:0;color:#333333;\">[^<]*</p>\n</td>\n</tr>\n",
                with_line,
            ).group(0),  # type: ignore[union-attr]
            "",
        )
        == plain
    )


def test_a_status_word_for_every_timeliness_status():
    statuses: list[Status] = ["ok", "flagged", "not_applicable"]
    assert statuses  # Status is the scorecard's vocabulary, timeliness has its own
    for status in ("on_time", "late", "backfilled", "unknown"):
        assert data_quality_line(quality(status=status)).startswith("Your data this week: ")


def test_counts_of_people_and_places_are_whole_numbers():
    stale = _flag(Dimension.DENOMINATORS, "target_stale", 581_246, 827_420, "persons")
    assert unusual_value_text(stale) == ("RSSB's target 581,246 people, census-based 827,420")
    household = _flag(
        Dimension.INTERNAL_CONSISTENCY, "household_size", 7.84, None, "persons per household"
    )
    assert unusual_value_text(household) == "7.8 members per household"


def test_a_stale_target_is_not_this_weeks_unusual_value():
    """The email's 'which figure to trust' paragraph states a stale target every week: the
    data-quality line does not repeat it as news; a target re-based this year still is."""
    stale = _flag(Dimension.DENOMINATORS, "target_stale", 581_246, 827_420, "persons")
    growth = _flag(Dimension.DENOMINATORS, "target_growth", 8.5, 1.3, "percent")
    week = quality(stale, growth)
    assert week.unusual_values == (growth,)
    assert "one unusual value" in data_quality_line(week)
    assert "581,246" not in data_quality_line(week)
