"""The unattended Friday, for real: a `prefect server`, `prefect deploy --all` of prefect.yaml,
a process worker (fixture `stack`). The scheduler must create the runs the crons mean in
Africa/Kigali, a run it creates must be picked up by the worker and deliver the new week's
emails, and two runs of the weekly deployment must never run at once.
"""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.prefect_server.conftest import NEW_REPORT_DATE
from tests.prefect_server.server import ROOT, PrefectStack, tail

pytestmark = pytest.mark.slow

UTC = dt.UTC
SCHEDULED = {
    d["name"]: d["schedules"]
    for d in yaml.safe_load((ROOT / "prefect.yaml").read_text(encoding="utf-8"))["deployments"]
    if d.get("schedules")
}


def _deployments(stack: PrefectStack) -> dict[str, dict[str, Any]]:
    found = stack.api("POST", "/deployments/filter", {"limit": 50, "offset": 0})
    return {d["name"]: d for d in found}


def _runs(stack: PrefectStack, deployment_id: str) -> list[dict[str, Any]]:
    body = {
        "deployments": {"id": {"any_": [deployment_id]}},
        "sort": "EXPECTED_START_TIME_ASC",
        "limit": 200,
        "offset": 0,
    }
    return list(stack.api("POST", "/flow_runs/filter", body))


def _at(value: str) -> dt.datetime:
    return dt.datetime.fromisoformat(value).astimezone(UTC)


def _next(now: dt.datetime, hour: int, *, weekday: int | None = None, july_first: bool = False):
    """The next UTC time after ``now`` at ``hour``:00 on a weekday or on 1 July, by hand."""
    day = now.date()
    while True:
        at = dt.datetime.combine(day, dt.time(hour), tzinfo=UTC)
        on_day = (day.month, day.day) == (7, 1) if july_first else day.weekday() == weekday
        if on_day and at > now:
            return at
        day += dt.timedelta(days=1)


def _scheduled_by(stack: PrefectStack, deployment: dict[str, Any], slug: str, timeout: float):
    """Scheduled runs the scheduler created from the deployment's schedule ``slug``."""
    [schedule] = [s for s in deployment["schedules"] if s["slug"] == slug]
    deadline = time.monotonic() + timeout
    while True:
        runs = [
            r
            for r in _runs(stack, deployment["id"])
            if r["state_type"] == "SCHEDULED" and schedule["id"] in (r["idempotency_key"] or "")
        ]
        if runs or time.monotonic() > deadline:
            return runs
        time.sleep(1)


def test_scheduler_creates_the_runs_the_crons_mean_in_kigali(stack: PrefectStack):
    deployments = _deployments(stack)
    assert set(SCHEDULED) <= set(deployments), deployments.keys()
    now = dt.datetime.now(UTC)
    # Kigali is UTC+2 all year: 19:00 → 17:00 UTC, 21:00 → 19:00, 06:00 → 04:00.
    expected = {
        "friday-evening": _next(now, 17, weekday=4),
        "friday-night": _next(now, 19, weekday=4),
        "after-survey-season": _next(now, 4, july_first=True),
    }
    for name, schedules in SCHEDULED.items():
        for schedule in schedules:
            runs = _scheduled_by(stack, deployments[name], schedule["slug"], timeout=90)
            assert runs, (
                f"no scheduled run of {name} ({schedule['slug']}) after 90 s; server log:\n"
                + tail(stack.log("server"), 40)
            )
            first = _at(runs[0]["expected_start_time"])
            if schedule["slug"] in expected:
                assert first == expected[schedule["slug"]], (name, first)
            if schedule["slug"].startswith("friday"):
                assert all(_at(r["expected_start_time"]).weekday() == 4 for r in runs)
    # The yearly run lies beyond Prefect's default 100-day horizon most of the year.
    assert expected["after-survey-season"] - now <= dt.timedelta(days=366)


def test_weekly_deployment_has_a_concurrency_limit_that_enqueues(stack: PrefectStack):
    weekly = _deployments(stack)["weekly-cbhi"]
    assert weekly["global_concurrency_limit"]["limit"] == 1
    assert weekly["concurrency_options"]["collision_strategy"] == "ENQUEUE"


def _state_names(stack: PrefectStack, run_id: str) -> list[str]:
    states = stack.api("GET", f"/flow_run_states/?flow_run_id={run_id}")
    return [s["name"] for s in sorted(states, key=lambda s: s["timestamp"])]


def test_a_scheduled_run_completes_on_the_worker_and_a_second_trigger_waits(
    stack: PrefectStack,
):
    weekly = _deployments(stack)["weekly-cbhi"]
    # A test-only schedule on the real deployment: once, 20 s from now, fewer resamples.
    anchor = dt.datetime.now(UTC).replace(microsecond=0) + dt.timedelta(seconds=20)
    stack.api(
        "POST",
        f"/deployments/{weekly['id']}/schedules",
        [
            {
                "schedule": {"interval": 86400, "anchor_date": anchor.isoformat()},
                "active": True,
                "max_scheduled_runs": 1,
                "parameters": {"n_resamples": 200},
                "slug": "test-once",
            }
        ],
    )
    weekly = _deployments(stack)["weekly-cbhi"]
    runs = _scheduled_by(stack, weekly, "test-once", timeout=60)
    assert runs, "the scheduler created no run in 60 s:\n" + tail(stack.log("server"), 40)
    # The scheduler keeps at least 3 runs ahead (a day apart): the first is the one at anchor.
    first = runs[0]
    assert _at(first["expected_start_time"]) == anchor
    second: dict[str, Any] | None = None
    both_running: list[str] = []
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        first = stack.api("GET", f"/flow_runs/{first['id']}")
        if second is None and first["state_type"] == "RUNNING":
            # A second trigger while the scheduled run is running (an operator's re-run).
            second = stack.api(
                "POST",
                f"/deployments/{weekly['id']}/create_flow_run",
                {"parameters": {"n_resamples": 200}},
            )
        if second is not None:
            second = stack.api("GET", f"/flow_runs/{second['id']}")
            if first["state_type"] == second["state_type"] == "RUNNING":
                both_running.append(dt.datetime.now(UTC).isoformat())
            if second["state"]["type"] in {"COMPLETED", "FAILED", "CRASHED", "CANCELLED"}:
                break
        elif first["state_type"] in {"COMPLETED", "FAILED", "CRASHED", "CANCELLED"}:
            break
        time.sleep(0.5)
    worker_log = tail(stack.log("worker"), 60)
    assert first["state_type"] == "COMPLETED", f"{first['state']}\n{worker_log}"
    assert second is not None, "the scheduled run was never seen Running"
    assert second["state_type"] == "COMPLETED", f"{second['state']}\n{worker_log}"
    assert not both_running, f"both weekly runs were Running at {both_running}"
    assert _at(second["start_time"]) >= _at(first["end_time"])
    assert "AwaitingConcurrencySlot" in _state_names(stack, second["id"])
    print(  # figures for docs/operations.md (pytest -s)
        f"scheduled weekly run: {first['total_run_time']:.0f} s running; second trigger "
        f"started {(_at(second['start_time']) - _at(first['end_time'])).total_seconds():.0f} s "
        f"after the first ended, ran {second['total_run_time']:.0f} s"
    )
    home = Path(stack.env["TPN_HOME"])
    emails = sorted((home / "outbox" / NEW_REPORT_DATE).glob("*.eml"))
    assert len(emails) == 30, [p.name for p in emails]  # one per district, the second run sent none
