"""The Friday run as production runs it: a long-running `prefect server`, `prefect deploy --all`
of prefect.yaml and a process worker; one trigger of the `weekly-cbhi` deployment.

    .venv/bin/python bench/friday_served.py

Setup (not measured): the server starts (tests/prefect_server's PrefectStack, the same
processes the real-server tests run), the warehouse is set up as bench/friday.py's does (all
but the last Friday loaded, built and emailed; the last Friday alone in the drop folder), the
work pool is created, every deployment deployed and a process worker started and seen online.

Measured: from the trigger (``POST /deployments/{id}/create_flow_run``) to the flow run
Completed, by this script's clock; from Prefect's API the flow run's own run time and its
states: the worker's pick-up (created → Pending: its polling interval, 2 s here as in the
tests, 10 s by Prefect's default), the flow-run subprocess's start (Pending → Running: a new
Python process imports Prefect and the flow's modules: the import cost that remains), and each
stage's time (task runs). The last line is the summary to compare over time.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import friday  # bench/friday.py: its setup and ROOT (TPN_BENCH_ROOT)

ROOT = friday.ROOT
sys.path.insert(0, str(ROOT))
from tests.prefect_server.server import POOL, PrefectStack, tail  # noqa: E402

TERMINAL = {"COMPLETED", "FAILED", "CRASHED", "CANCELLED"}


def _at(value: str) -> dt.datetime:
    return dt.datetime.fromisoformat(value)


def _wait_for_worker(stack: PrefectStack, timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert stack.processes[-1].poll() is None, f"worker exited:\n{tail(stack.log('worker'))}"
        workers = stack.api("POST", f"/work_pools/{POOL}/workers/filter", {"limit": 10})
        if any(w.get("status") == "ONLINE" for w in workers):
            return
        time.sleep(1)
    raise SystemExit(f"no worker online after {timeout} s:\n{tail(stack.log('worker'))}")


def _weekly_deployment(stack: PrefectStack) -> dict[str, Any]:
    found = stack.api("POST", "/deployments/filter", {"limit": 50, "offset": 0})
    [weekly] = [d for d in found if d["name"] == "weekly-cbhi"]
    return dict(weekly)


def _run_to_end(stack: PrefectStack, run_id: str, timeout: float) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run = stack.api("GET", f"/flow_runs/{run_id}")
        if run["state_type"] in TERMINAL:
            return dict(run)
        time.sleep(0.2)
    raise SystemExit(f"flow run not finished after {timeout} s:\n{tail(stack.log('worker'))}")


def measure(stack: PrefectStack, home: Path, timeout: float) -> dict[str, Any]:
    weekly = _weekly_deployment(stack)
    before = set((home / "outbox").rglob("*.eml"))
    started = time.perf_counter()
    run = stack.api("POST", f"/deployments/{weekly['id']}/create_flow_run", {})
    run = _run_to_end(stack, run["id"], timeout)
    wall = time.perf_counter() - started
    states = stack.api("GET", f"/flow_run_states/?flow_run_id={run['id']}")
    first: dict[str, dt.datetime] = {}
    for state in sorted(states, key=lambda s: s["timestamp"]):
        first.setdefault(state["type"], _at(state["timestamp"]))
    created = _at(run["created"])
    tasks = stack.api(
        "POST",
        "/task_runs/filter",
        {"flow_runs": {"id": {"any_": [run["id"]]}}, "limit": 200, "offset": 0},
    )
    stages = {t["name"].rsplit("-", 1)[0]: float(t["total_run_time"]) for t in tasks}
    return {
        "state": run["state_name"],
        "wall_s": wall,
        "run_time_s": float(run["total_run_time"]),
        "pickup_s": (first["PENDING"] - created).total_seconds(),
        "subprocess_s": (first["RUNNING"] - first["PENDING"]).total_seconds(),
        "stages": stages,
        "emails": len(set((home / "outbox").rglob("*.eml")) - before),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--timeout", type=float, default=900, help="seconds for the flow run")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="tpn-bench-served-") as tmp:
        base = Path(tmp)
        home = base / "home"
        folders = {name: base / name for name in ("moh", "dhis2")}
        for folder in folders.values():
            folder.mkdir()
        stack = PrefectStack(
            base,
            env_extra={
                "TPN_HOME": str(home),
                "TPN_CHECKOUT": str(ROOT),
                "TPN_DROP_FOLDER": str(home / "drop"),
                "TPN_MOH_DROP_FOLDER": str(folders["moh"]),
                "TPN_DHIS2_DROP_FOLDER": str(folders["dhis2"]),
                "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
                "TQDM_DISABLE": "1",
                "PYTHONPATH": str(ROOT),
            },
        )
        try:
            started = time.perf_counter()
            stack.start_server()  # boots while the warehouse is built
            os.environ["TPN_HOME"] = str(home)
            friday.setup_warehouse(home)
            stack.wait_healthy()
            stack.run("work-pool", "work-pool", "create", POOL, "--type", "process")
            stack.run("deploy", "--no-prompt", "deploy", "--all", timeout=300)
            stack.start("worker", "worker", "start", "--pool", POOL, "--type", "process")
            _wait_for_worker(stack)
            print(f"setup (not measured): {time.perf_counter() - started:.0f} s", flush=True)
            result = measure(stack, home, args.timeout)
        finally:
            stack.stop()

    print(
        f"\nFriday run through a served deployment ({result['state']}): "
        f"{result['emails']} emails written"
    )
    print(f"  trigger → flow run completed (wall)       {result['wall_s']:6.1f} s")
    print(f"  worker pick-up (created → Pending)         {result['pickup_s']:6.1f} s")
    print(f"  subprocess start + imports (→ Running)     {result['subprocess_s']:6.1f} s")
    print(f"  flow run time (Prefect's total_run_time)   {result['run_time_s']:6.1f} s")
    for name, seconds in sorted(result["stages"].items(), key=lambda kv: -kv[1]):
        print(f"    stage {name:<32} {seconds:6.1f} s")
    stages = ", ".join(
        f"{name} {seconds:.1f}"
        for name, seconds in sorted(result["stages"].items(), key=lambda kv: -kv[1])[:3]
    )
    print(
        f"SUMMARY friday-served: trigger → completed {result['wall_s']:.1f} s, flow run "
        f"{result['run_time_s']:.1f} s, pick-up {result['pickup_s']:.1f} s, subprocess start "
        f"{result['subprocess_s']:.1f} s; top stages {stages} ({result['state']})"
    )


if __name__ == "__main__":
    main()
