"""Sample files' modification times: deterministic, on time but for the one late file."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from tpn_metrics.lateness import FileDeadline
from tpn_metrics.sample import SampleManifest, generate_sample
from tpn_metrics.sample.anomalies import LATE_REPORT_DATE
from tpn_metrics.sample.delivery import kigali

KIGALI = ZoneInfo("Africa/Kigali")
TODAY = dt.date(2023, 7, 31)


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, SampleManifest]:
    out = tmp_path_factory.mktemp("delivery")
    return out, generate_sample(out, seed=2024, today=TODAY)


def mtimes(root: Path) -> dict[str, int]:
    return {
        p.relative_to(root).as_posix(): p.stat().st_mtime_ns
        for p in sorted(root.rglob("*"))
        if p.is_file() and p.name != "manifest.json"
    }


def delivered(path: Path) -> dt.datetime:
    return dt.datetime.fromtimestamp(path.stat().st_mtime, dt.UTC)


def test_kigali_is_two_hours_ahead_of_utc() -> None:
    assert kigali(dt.date(2022, 2, 11), dt.time(18, 0)) == dt.datetime(
        2022, 2, 11, 16, 0, tzinfo=dt.UTC
    )


def test_same_seed_gives_the_same_modification_times(
    sample: tuple[Path, SampleManifest], tmp_path: Path
) -> None:
    root, _ = sample
    generate_sample(tmp_path, seed=2024, today=TODAY)
    assert mtimes(tmp_path) == mtimes(root)


def test_every_weekly_file_arrives_friday_evening_but_the_late_one(
    sample: tuple[Path, SampleManifest],
) -> None:
    root, manifest = sample
    (late,) = [a for a in manifest.anomalies if a.measure == "late_file"]
    deadline = FileDeadline()
    weekly = [f for f in manifest.files if f.startswith("rssb_weekly/")]
    assert len(weekly) == 157
    late_files = []
    for name in weekly:
        moment = delivered(root / name)
        local = moment.astimezone(KIGALI)
        (anomaly_day,) = [a.report_date for a in manifest.anomalies if a.file == name] or [None]
        if moment > deadline.due_at(local.date() - dt.timedelta(days=(local.weekday() - 4) % 7)):
            late_files.append(name)
            continue
        assert local.weekday() == 4 and 18 <= local.hour < 21, (name, local, anomaly_day)
    assert late_files == [late.file]
    moment = delivered(root / late.file)
    due = deadline.due_at(LATE_REPORT_DATE)
    assert moment > due
    # days after the report date (00:00 UTC), as the review's mart measures it
    start = dt.datetime.combine(LATE_REPORT_DATE, dt.time(0), tzinfo=dt.UTC)
    assert (moment - start).total_seconds() / 86400 == pytest.approx(late.injected_value, abs=0.01)


def test_accreditation_and_registry_files_arrive_in_office_hours(
    sample: tuple[Path, SampleManifest],
) -> None:
    root, manifest = sample
    others = [f for f in manifest.files if not f.startswith("rssb_weekly/")]
    assert others
    for name in others:
        local = delivered(root / name).astimezone(KIGALI)
        assert local.time() == dt.time(10, 0), name
        if name.startswith("accreditation/"):
            assert (local.month, local.day) == (6, 30) and str(local.year) in name
