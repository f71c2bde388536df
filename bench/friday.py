"""Friday-run latency: one new RSSB file → district emails written, end to end through Prefect.

    .venv/bin/python bench/friday.py

Setup (not measured): the sample data's three fiscal years are loaded, built and emailed, all
but the last Friday. Then, in fresh processes, the script measures each tool's fixed start-up
cost — importing Prefect and starting its temporary server, `dbt parse`, importing Great
Expectations and loading its context — and the Friday run itself: the `weekly-cbhi` flow on a
drop folder holding only the new file, with each stage's wall time read from Prefect's task
runs. The last line is the summary to compare over time.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# TPN_BENCH_ROOT runs this script against another checkout's code (bench/compare.py does, for
# a "before" commit that has no copy of it).
ROOT = Path(os.environ.get("TPN_BENCH_ROOT") or Path(__file__).resolve().parent.parent)
LAST_FRIDAY = "2023-06-30"


def _run_child(code: str, env: dict[str, str]) -> dict[str, object]:
    output = subprocess.run(
        [sys.executable, "-c", code], check=True, capture_output=True, text=True, env=env
    ).stdout
    return json.loads(output.strip().splitlines()[-1])


PREFECT_STARTUP = """
import json, time
started = time.perf_counter()
from prefect import flow
imported = time.perf_counter()
@flow
def nothing() -> int:
    return 1
nothing()
print(json.dumps({"import_s": imported - started, "total_s": time.perf_counter() - started}))
"""

DBT_PARSE = """
import json, time
from pathlib import Path
started = time.perf_counter()
from tpn_metrics.dbt_runner import run_dbt
from tpn_metrics.settings import Settings
outcome = run_dbt(["parse", "--no-partial-parse"], Settings(home=Path({home!r})))
print(json.dumps({{"total_s": time.perf_counter() - started, "success": outcome.success}}))
"""

GX_STARTUP = """
import datetime, json, time
from pathlib import Path
started = time.perf_counter()
from tpn_metrics.ingest.validation import FrameValidator
from tpn_metrics.settings import Settings
settings = Settings(home=Path({home!r}))
gx_dir = settings.home / "var" / "gx"
FrameValidator(settings.expectations_dir, gx_dir, datetime.date.today()).context()
print(json.dumps({{"total_s": time.perf_counter() - started}}))
"""

FRIDAY_RUN = """
import json, time
started = time.perf_counter()
from flows.weekly_cbhi import weekly_cbhi
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId
state = weekly_cbhi(drop_folder={drop!r}, home={home!r}, return_state=True)
finished = time.perf_counter()
result = state.result()
with get_client(sync_client=True) as client:
    runs = client.read_task_runs(
        flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[state.state_details.flow_run_id]))
    )
stages = {{run.name.rsplit("-", 1)[0]: run.total_run_time.total_seconds() for run in runs}}
print(json.dumps({{
    "total_s": finished - started,
    "stages": stages,
    "state": state.name,
    "emails_delivered": result.emails.delivered,
    "files": result.ingest.counts,
}}))
"""


def setup(home: Path, env: dict[str, str]) -> Path:
    """Everything but the last Friday loaded and emailed; the last Friday in a drop folder."""
    drop = setup_warehouse(home)
    _run_child(PREFECT_STARTUP, env)  # creates Prefect's database: a one-off, not Friday's cost
    return drop


def setup_warehouse(home: Path) -> Path:
    """The warehouse of :func:`setup`, without Prefect: returns the drop folder (``home/drop``)
    holding only the last Friday's file."""
    sys.path.insert(0, str(ROOT))
    from tpn_metrics import stages
    from tpn_metrics.sample import generate_sample
    from tpn_metrics.settings import Settings

    settings = Settings(home=home)
    manifest = generate_sample(settings.sample_dir, 2024)
    drop = home / "drop"
    drop.mkdir()
    weekly = settings.sample_dir / "rssb_weekly"
    last = [
        p
        for p in weekly.iterdir()
        if LAST_FRIDAY in p.name
        or "30.06.2023" in p.name
        or "30-06-2023" in p.name
        or "20230630" in p.name
    ]
    if len(last) != 1:
        raise SystemExit(f"cannot find the {LAST_FRIDAY} file among {len(manifest.files)} files")
    shutil.move(str(last[0]), drop / last[0].name)
    stages.run_ingest(settings, [settings.sample_dir])
    stages.run_dbt_build(settings)
    stages.run_evaluation(settings, n_resamples=2_000)
    stages.run_emails(settings)
    return drop


def main() -> None:
    argparse.ArgumentParser(description=__doc__.splitlines()[0]).parse_args()
    with tempfile.TemporaryDirectory(prefix="tpn-bench-friday-") as tmp:
        home = Path(tmp) / "home"
        env = {
            **os.environ,
            "TPN_HOME": str(home),
            "PREFECT_HOME": str(home / "var" / "prefect"),
            "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "180",
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
            "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
            "TQDM_DISABLE": "1",
            "PYTHONPATH": str(ROOT),
        }
        (home / "var" / "prefect").mkdir(parents=True)
        started = time.perf_counter()
        drop = setup(home, env)
        print(f"setup (not measured): {time.perf_counter() - started:.0f} s", flush=True)

        prefect = _run_child(PREFECT_STARTUP, env)
        dbt_parse = _run_child(DBT_PARSE.format(home=str(home)), env)
        gx = _run_child(GX_STARTUP.format(home=str(home)), env)
        friday = _run_child(FRIDAY_RUN.format(drop=str(drop), home=str(home)), env)

    startup = {
        "Prefect import + temporary server": float(prefect["total_s"]),
        "dbt parse": float(dbt_parse["total_s"]),
        "GX import + context": float(gx["total_s"]),
    }
    total = float(friday["total_s"])
    print(
        f"\nFriday run ({friday['state']}): {total:.1f} s wall, files {friday['files']}, "
        f"{friday['emails_delivered']} emails written"
    )
    for name, seconds in sorted(friday["stages"].items(), key=lambda kv: -kv[1]):
        print(f"  stage {name:<32} {seconds:6.1f} s")
    print("Fixed start-up cost of each tool (fresh process each):")
    for name, seconds in startup.items():
        print(f"  {name:<38} {seconds:6.1f} s")
    fixed = sum(startup.values())
    stages = {str(name): float(seconds) for name, seconds in friday["stages"].items()}
    dbt_stage = stages.get("dbt-build", float("nan"))
    emails_stage = stages.get("deliver-emails", float("nan"))
    print(
        f"SUMMARY friday: run {total:.1f} s, tool start-up {fixed:.1f} s, "
        f"run / start-up = {total / fixed:.2f} (goal ≤ 1.5); "
        f"dbt stage {dbt_stage:.1f} s = {dbt_stage / startup['dbt parse']:.2f}× a full dbt parse "
        f"(goal ≤ 2); emails {emails_stage:.1f} s (goal ≤ 2 s)"
    )


if __name__ == "__main__":
    main()
