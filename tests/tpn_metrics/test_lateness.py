"""The one definition of a late RSSB week (tpn_metrics.lateness), against hand-worked dates."""

from __future__ import annotations

import datetime as dt

import pytest

from tpn_metrics.lateness import FileDeadline, expected_fridays, missing_weeks, week_status
from tpn_metrics.settings import ConfigurationError, Settings

FRIDAY = dt.date(2023, 4, 7)
DEFAULT = FileDeadline()


def utc(*parts: int) -> dt.datetime:
    return dt.datetime(*parts, tzinfo=dt.UTC)


def test_default_deadline_is_saturday_noon_in_kigali_which_is_ten_utc():
    assert DEFAULT.due_at(FRIDAY) == utc(2023, 4, 8, 10, 0)
    assert DEFAULT.describe() == "Saturday 12:00 Africa/Kigali"


@pytest.mark.parametrize(
    ("text", "due"),
    [
        ("Saturday 12:00", utc(2023, 4, 8, 10)),
        ("friday 23:30", utc(2023, 4, 7, 21, 30)),  # the same Friday
        ("Monday 09:00", utc(2023, 4, 10, 7)),
        ("Thursday 08:00", utc(2023, 4, 13, 6)),  # the weekday on or after the Friday
    ],
)
def test_configured_deadlines(text: str, due: dt.datetime):
    assert FileDeadline.parse(text).due_at(FRIDAY) == due
    assert (
        FileDeadline.from_settings(Settings.from_environment({"TPN_RSSB_DEADLINE": text})).due_at(
            FRIDAY
        )
        == due
    )


@pytest.mark.parametrize("text", ["Saturday", "noon", "Samedi 12:00", "Saturday 25:00"])
def test_an_unreadable_deadline_is_a_configuration_error(text: str):
    with pytest.raises(ConfigurationError, match="TPN_RSSB_DEADLINE"):
        FileDeadline.parse(text)


def test_week_status_on_each_side_of_the_deadline():
    due = utc(2023, 4, 8, 10)
    second = dt.timedelta(seconds=1)
    assert week_status(FRIDAY, due, due + second, DEFAULT).status == "on_time"
    assert week_status(FRIDAY, due + second, due + second, DEFAULT).status == "late_arrived"
    assert week_status(FRIDAY, None, due, DEFAULT).status == "not_due"
    assert week_status(FRIDAY, None, due + second, DEFAULT).status == "missing"
    # A naive received_at (as DuckDB returns the ledger's TIMESTAMP) is UTC.
    naive = dt.datetime(2023, 4, 8, 9, 59)
    assert week_status(FRIDAY, naive, due + second, DEFAULT).status == "on_time"


def test_expected_weeks_start_at_the_first_file_and_end_at_the_last_passed_deadline():
    now = utc(2023, 4, 22, 10, 0)  # exactly the deadline of 21 April: not passed yet
    assert expected_fridays(dt.date(2023, 3, 24), now, DEFAULT) == [
        dt.date(2023, 3, 24),
        dt.date(2023, 3, 31),
        dt.date(2023, 4, 7),
        dt.date(2023, 4, 14),
    ]


def test_missing_weeks_are_the_gaps_and_the_overdue_week():
    received = {
        dt.date(2023, 3, 24): dt.datetime(2023, 3, 24, 18),
        dt.date(2023, 4, 7): dt.datetime(2023, 4, 12, 8),  # arrived late: not missing
    }
    late = missing_weeks(received, utc(2023, 4, 15, 10, 1), DEFAULT)
    assert [w.report_date for w in late] == [dt.date(2023, 3, 31), dt.date(2023, 4, 14)]
    assert late[-1].due_at == utc(2023, 4, 15, 10)
    assert missing_weeks({}, utc(2023, 4, 15), DEFAULT) == []


def test_no_second_definition_of_lateness_in_dbt():
    """dbt's source freshness (age of loaded_at) would disagree with the Friday deadline:
    lateness lives only in tpn_metrics.lateness."""
    import yaml

    from tpn_metrics.settings import PROJECT_ROOT

    found = []
    for path in (PROJECT_ROOT / "dbt_project").rglob("*.yml"):
        if "target" in path.parts or "dbt_packages" in path.parts:
            continue
        text = path.read_text(encoding="utf-8")
        if "freshness" in text and "freshness:" in yaml.safe_dump(yaml.safe_load(text)):
            found.append(str(path.relative_to(PROJECT_ROOT)))
    assert found == [], f"a dbt freshness block beside tpn_metrics.lateness: {found}"
