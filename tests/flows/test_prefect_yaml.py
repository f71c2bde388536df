"""prefect.yaml, the only schedule source, checked without a Prefect server: every deployment
points at a real flow, passes parameters the flow accepts, and has valid crons in IANA zones.
"""

from __future__ import annotations

import importlib
import zoneinfo
from pathlib import Path
from typing import Any

import pytest
import yaml
from prefect import Flow
from prefect.client.schemas.schedules import CronSchedule

ROOT = Path(__file__).resolve().parents[2]
PREFECT_YAML = yaml.safe_load((ROOT / "prefect.yaml").read_text(encoding="utf-8"))
DEPLOYMENTS = PREFECT_YAML["deployments"]


def _flow_of(deployment: dict[str, Any]) -> Flow[..., Any]:
    path, _, attribute = deployment["entrypoint"].partition(":")
    assert path.endswith(".py") and (ROOT / path).is_file(), f"no file {path}"
    module = importlib.import_module(path[: -len(".py")].replace("/", "."))
    target = getattr(module, attribute, None)
    assert isinstance(target, Flow), f"{deployment['entrypoint']} is not a Prefect flow"
    return target


def _ids(deployment: dict[str, Any]) -> str:
    return str(deployment["name"])


def test_the_expected_deployments_exist():
    names = {d["name"] for d in DEPLOYMENTS}
    assert {"weekly-cbhi", "annual-accreditation", "backfill", "publish"} <= names
    assert len(names) == len(DEPLOYMENTS), "deployment names must be unique"


@pytest.mark.parametrize("deployment", DEPLOYMENTS, ids=_ids)
def test_entrypoint_is_a_flow_that_accepts_the_parameters(deployment: dict[str, Any]):
    flow = _flow_of(deployment)
    parameters = dict(deployment.get("parameters") or {})
    accepted = set(flow.parameters.properties)
    assert set(parameters) <= accepted, f"unknown parameters {set(parameters) - accepted}"
    missing = [name for name in flow.parameters.required or [] if name not in parameters]
    if deployment.get("schedules"):
        # A scheduled run has nobody to supply a missing parameter.
        assert not missing, f"scheduled without required parameters {missing}"
    # Unscheduled deployments get required parameters at run time; stand in for them here.
    # Templated values ("{{ $VAR }}") are strings when the flow receives them, as here.
    stand_ins = dict.fromkeys(missing, "supplied-at-run-time")
    flow.validate_parameters({**stand_ins, **parameters})


@pytest.mark.parametrize("deployment", DEPLOYMENTS, ids=_ids)
def test_schedules_are_valid_crons_in_iana_time_zones(deployment: dict[str, Any]):
    slugs = []
    for schedule in deployment.get("schedules") or []:
        assert set(schedule) >= {"cron", "timezone", "slug"}, schedule
        assert schedule["timezone"] in zoneinfo.available_timezones(), schedule["timezone"]
        CronSchedule(cron=schedule["cron"], timezone=schedule["timezone"])  # raises if invalid
        slugs.append(schedule["slug"])
    assert len(slugs) == len(set(slugs))


@pytest.mark.parametrize("deployment", DEPLOYMENTS, ids=_ids)
def test_every_deployment_runs_on_the_process_pool_and_is_described(deployment: dict[str, Any]):
    assert deployment["work_pool"]["name"] == "tpn-process"
    assert deployment.get("description", "").strip()
    assert deployment.get("tags")


def test_schedules_fall_where_operations_expects_them():
    crons = {
        d["name"]: [(s["cron"], s["timezone"]) for s in d.get("schedules") or []]
        for d in DEPLOYMENTS
    }
    assert crons["annual-accreditation"] == [("0 6 1 7 *", "Africa/Kigali")]
    assert crons["publish"] == [("0 21 * * 5", "Africa/Kigali")]
    assert crons["backfill"] == []
