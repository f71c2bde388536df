"""Read what a flow run left in the Prefect API (test server): task runs, artifacts."""

from __future__ import annotations

import time
from typing import Any
from uuid import UUID


def artifacts_of(flow_run_id: UUID, key: str) -> list[Any]:
    from prefect import get_client
    from prefect.client.schemas.objects import Artifact

    # Prefect 3.8's client sends unset filters as null, which the server refuses (HTTP 422),
    # and an empty task-run filter drops artifacts of the flow run itself: ask directly.
    body = {
        "artifacts": {"key": {"any_": [key]}, "flow_run_id": {"any_": [str(flow_run_id)]}},
        "sort": "CREATED_DESC",
        "limit": 50,
        "offset": 0,
    }
    with get_client(sync_client=True) as client:
        response = client.request("POST", "/artifacts/filter", json=body)  # type: ignore[arg-type]
    return list(Artifact.model_validate_list(response.json()))


def task_run_names(flow_run_id: UUID, expected: int, timeout: float = 60.0) -> list[str]:
    """Names of the flow run's finished task runs, waiting until ``expected`` are recorded
    (Prefect 3 records task runs from events, a moment after the flow returns)."""
    from prefect import get_client
    from prefect.client.schemas.objects import TaskRun

    body = {
        "flow_runs": {"id": {"any_": [str(flow_run_id)]}},
        "sort": "EXPECTED_START_TIME_ASC",
        "limit": 200,
        "offset": 0,
    }
    deadline = time.monotonic() + timeout
    while True:
        with get_client(sync_client=True) as client:
            response = client.request("POST", "/task_runs/filter", json=body)  # type: ignore[arg-type]
        runs = TaskRun.model_validate_list(response.json())
        finished = [r for r in runs if r.state is not None and r.state.is_final()]
        if len(finished) >= expected or time.monotonic() > deadline:
            return sorted(r.name for r in finished)
        time.sleep(0.5)
