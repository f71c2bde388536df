"""Before and after side by side: every bench on a "before" commit and on this checkout,
alternately, in one run (the machine's noise then hits both alike).

    make bench-compare BEFORE=<ref> [BENCHES="friday payments"] [ROWS="100000"] [YEARS="1 2"]
    .venv/bin/python bench/compare.py --before <ref> [--benches ...] [--rows ...] [--years ...]

<ref> is checked out into a temporary git worktree (removed at the end) and installed there
(`make venv-dev`); "after" is this checkout as it is on disk, uncommitted edits included. For
each bench, in turn: before, then after (the order swaps every round, ``--rounds``). A bench
script the before commit does not have is run from this checkout against the before tree's
code (its ``TPN_BENCH_ROOT`` and ``PYTHONPATH`` point there, with the before tree's Python);
`install` always runs this checkout's bench/install.py with ``--tree`` set to each side. Each
run's SUMMARY line is printed as it comes, then a table of them all. Exit 2 on a wrong
argument (an unknown ref or bench), with one line saying so.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

ROOT = Path(__file__).resolve().parent.parent
#: bench name → its script under bench/.
BENCHES = {
    "friday": "friday.py",
    "friday-served": "friday_served.py",
    "payments": "payments.py",
    "history": "history.py",
    "install": "install.py",
}


@dataclass
class Outcome:
    side: str
    bench: str
    summary: str
    seconds: float
    note: str = ""


def fail(message: str) -> NoReturn:
    print(f"bench-compare: {message}", file=sys.stderr)
    raise SystemExit(2)


def git(*args: str, cwd: Path = ROOT) -> str:
    done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"git {' '.join(args)}: {done.stderr.strip()}")
    return done.stdout.strip()


def make_venv(tree: Path) -> None:
    print(f"[{tree}] make venv-dev", flush=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VIRTUAL_ENV", "MAKE"))}
    subprocess.run(["make", "-s", "venv-dev"], cwd=tree, env=env, check=True)


def command(bench: str, tree: Path, args: argparse.Namespace) -> tuple[list[str], dict[str, str]]:
    """The command line and environment of ``bench`` on ``tree`` (and a note when the script
    is this checkout's, run against another tree)."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("PREFECT_", "TPN_", "VIRTUAL_ENV", "MAKE"))
    }
    env["PYTHONPATH"] = str(tree)
    env["PREFECT_HOME"] = str(tree / "var" / "prefect")
    (tree / "var" / "prefect").mkdir(parents=True, exist_ok=True)
    env["DBT_SEND_ANONYMOUS_USAGE_STATS"] = "false"
    env["DO_NOT_TRACK"] = "1"
    script = BENCHES[bench]
    extra: list[str] = []
    if bench == "payments" and args.rows:
        extra = ["--rows", *map(str, args.rows)]
    if bench == "history" and args.years:
        extra = ["--years", *map(str, args.years)]
    if bench == "install":
        extra = ["--tree", str(tree)]
        if args.no_demo_start:
            extra.append("--no-demo-start")
        return [sys.executable, str(ROOT / "bench" / script), *extra], env
    own = tree / "bench" / script
    if not own.exists():
        own = ROOT / "bench" / script
        env["TPN_BENCH_ROOT"] = str(tree)
    return [str(tree / ".venv" / "bin" / "python"), str(own), *extra], env


def run(side: str, bench: str, tree: Path, args: argparse.Namespace, logs: Path) -> Outcome:
    argv, env = command(bench, tree, args)
    note = "" if str(tree) in argv[1] or bench == "install" else "after's script on before's code"
    log = logs / f"{bench}-{side}.log"
    print(f"\n[{side}] {bench}: {' '.join(argv[1:])}  (log {log})", flush=True)
    started = time.perf_counter()
    with log.open("w") as out:
        done = subprocess.run(
            argv, cwd=tree, env=env, stdout=out, stderr=subprocess.STDOUT, check=False
        )
    seconds = time.perf_counter() - started
    text = log.read_text(errors="replace")
    summaries = [line for line in text.splitlines() if line.startswith("SUMMARY")]
    if done.returncode != 0 or not summaries:
        tail = " | ".join(text.strip().splitlines()[-3:])
        summary = f"FAILED (exit {done.returncode}): {tail[:300]}"
    else:
        summary = summaries[-1]
    print(f"[{side}] {summary}", flush=True)
    return Outcome(side, bench, summary, seconds, note)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", required=True, help="the git ref to compare against")
    parser.add_argument("--benches", nargs="+", default=list(BENCHES), help=" ".join(BENCHES))
    parser.add_argument("--rows", type=int, nargs="+", help="payments: row counts")
    parser.add_argument("--years", type=int, nargs="+", help="history: years of history")
    parser.add_argument("--rounds", type=int, default=1, help="before/after pairs per bench")
    parser.add_argument(
        "--no-demo-start", action="store_true", help="install: stop after `make venv`"
    )
    parser.add_argument("--logs", type=Path, help="keep each run's output here")
    args = parser.parse_args()
    unknown = [b for b in args.benches if b not in BENCHES]
    if unknown:
        fail(f"unknown bench {', '.join(unknown)}; choose from {', '.join(BENCHES)}")
    try:
        commit = git("rev-parse", "--verify", "--quiet", f"{args.before}^{{commit}}")
    except RuntimeError:
        fail(f"{args.before!r} is not a commit of this repository")

    outcomes: list[Outcome] = []
    with tempfile.TemporaryDirectory(prefix="tpn-bench-compare-") as tmp:
        before = Path(tmp) / "before"
        logs = args.logs or Path(tmp) / "logs"
        logs.mkdir(parents=True, exist_ok=True)
        git("worktree", "add", "--detach", "--quiet", str(before), commit)
        try:
            make_venv(before)
            make_venv(ROOT)
            sides = [("before", before), ("after", ROOT)]
            for bench in args.benches:
                for round_ in range(args.rounds):
                    for side, tree in sides if round_ % 2 == 0 else sides[::-1]:
                        outcomes.append(run(side, bench, tree, args, logs))
        finally:
            git("worktree", "remove", "--force", str(before))
            shutil.rmtree(before, ignore_errors=True)

    print(f"\nbefore = {args.before} ({commit[:9]}), after = {ROOT} (working tree)")
    width = max(len(o.bench) for o in outcomes) if outcomes else 5
    for bench in args.benches:
        for o in (o for o in outcomes if o.bench == bench):
            note = f"  [{o.note}]" if o.note else ""
            print(f"{bench:<{width}}  {o.side:<6} {o.seconds:6.0f} s  {o.summary}{note}")


if __name__ == "__main__":
    main()
