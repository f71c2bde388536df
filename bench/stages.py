"""The Friday run's non-dbt stages, each alone, side by side for two versions of the code.

    .venv/bin/python bench/stages.py [--before PATH] [--rounds N]

Setup (not measured, as bench/friday.py): the sample's three fiscal years loaded, built,
evaluated and emailed, all but the last Friday; then the last Friday's file is ingested and
built. Each round then runs, in a fresh process per stage and per version, on a fresh copy of
that warehouse: the email stage (30 district emails with charts, to the outbox), the
evaluation + twinning refresh, and the ingest of the last Friday's file (on the copy taken
before it was loaded). Printed per run: wall and CPU seconds of the stage alone (imports
excluded). ``--before`` is a checkout (e.g. ``git archive 74bb481 | tar -x -C /tmp/before``)
whose ``tpn_metrics`` is measured alternately with this one, so both see the same load. The
emails both versions wrote are compared byte for byte. The last line is the summary.
"""

from __future__ import annotations

import argparse
import filecmp
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from statistics import median

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

STAGE = """
import json, sys, time
sys.path.insert(0, {code!r})
started = time.perf_counter()
from tpn_metrics import stages
from tpn_metrics.settings import Settings
imported = time.perf_counter() - started
settings = Settings(home=__import__("pathlib").Path({home!r}))
wall, cpu = time.perf_counter(), time.process_time()
if {stage!r} == "emails":
    report = stages.run_emails(settings)
    detail = {{"delivered": report.delivered, "errors": len(report.errors)}}
elif {stage!r} == "evaluation":
    detail = {{"rows": sum(stages.run_evaluation(settings).table_rows.values())}}
else:
    detail = stages.run_ingest(settings, [settings.home / "drop"]).counts
print(json.dumps({{"wall_s": time.perf_counter() - wall, "cpu_s": time.process_time() - cpu,
                  "import_s": imported, **{{k: str(v) for k, v in detail.items()}}}}))
"""


def _prepare(tmp: Path) -> tuple[Path, Path]:
    """(home before the last Friday's ingest, home after its ingest and build)."""
    import friday

    from tpn_metrics import stages
    from tpn_metrics.settings import Settings

    before_ingest = tmp / "before-ingest"
    home = before_ingest / "home"
    (home / "var" / "prefect").mkdir(parents=True)
    friday._run_child = lambda code, env: {}  # no Prefect here: the stages alone
    friday.setup(home, dict(os.environ))
    built = tmp / "built"
    shutil.copytree(before_ingest, built, symlinks=True)
    settings = Settings(home=built / "home")
    stages.run_ingest(settings, [settings.home / "drop"])
    stages.run_dbt_build(settings)
    return before_ingest, built


def _run(code: Path, stage: str, source: Path, work: Path) -> tuple[dict[str, str], Path]:
    copy = work / f"{stage}-{code.name}-{time.monotonic_ns()}"
    shutil.copytree(source, copy, symlinks=True)
    home = copy / "home"
    env = {**os.environ, "TPN_HOME": str(home), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    script = STAGE.format(code=str(code), home=str(home), stage=stage)
    output = subprocess.run(
        [sys.executable, "-c", script], check=True, capture_output=True, text=True, env=env
    ).stdout
    return json.loads(output.strip().splitlines()[-1]), home


def _same_emails(a: Path, b: Path) -> bool:
    """Both homes' outboxes hold the same .eml files, byte for byte."""
    left, right = sorted(a.rglob("*.eml")), sorted(b.rglob("*.eml"))
    if not left or [p.relative_to(a) for p in left] != [p.relative_to(b) for p in right]:
        return False
    return all(filecmp.cmp(x, y, shallow=False) for x, y in zip(left, right, strict=True))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", type=Path, help="a checkout of the code to compare with")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    versions = [("after", ROOT)] + ([("before", args.before.resolve())] if args.before else [])
    with tempfile.TemporaryDirectory(prefix="tpn-bench-stages-") as tmp_name:
        tmp = Path(tmp_name)
        started = time.perf_counter()
        before_ingest, built = _prepare(tmp)
        print(f"setup (not measured): {time.perf_counter() - started:.0f} s", flush=True)
        results: dict[tuple[str, str], list[dict[str, str]]] = {}
        identical = True
        for _ in range(args.rounds):
            for stage, source in (
                ("emails", built),
                ("evaluation", built),
                ("ingest", before_ingest),
            ):
                homes = {}
                for name, code in reversed(versions):  # before first, then after
                    result, homes[name] = _run(code, stage, source, tmp)
                    results.setdefault((stage, name), []).append(result)
                    print(f"  {stage:<10} {name:<6} {json.dumps(result)}", flush=True)
                if stage == "emails" and len(homes) == 2:
                    identical &= _same_emails(homes["before"], homes["after"])
                for home in homes.values():
                    shutil.rmtree(home.parent)
    summary = []
    for stage in ("emails", "evaluation", "ingest"):
        line = []
        for name, _ in reversed(versions):
            runs = results[(stage, name)]
            wall = median(float(r["wall_s"]) for r in runs)
            cpu = median(float(r["cpu_s"]) for r in runs)
            line.append(f"{name} {wall:.2f} s wall / {cpu:.2f} s CPU")
        print(f"{stage:<10} (median of {args.rounds}): " + ", ".join(line))
        summary.append(f"{stage} " + " vs ".join(line))
    if len(versions) == 2:
        print(f"emails byte-identical between versions: {identical}")
    print("SUMMARY stages: " + "; ".join(summary))


if __name__ == "__main__":
    main()
