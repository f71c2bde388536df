"""Fresh install: `make demo` on a fresh copy of the tree, with empty package caches, up to the
moment its pipeline starts.

    .venv/bin/python bench/install.py [--tree PATH] [--no-demo-start]

The tracked files of ``--tree`` (default: this checkout, uncommitted edits included) are copied
to a temporary folder; uv's and pip's caches point at empty temporary folders (system packages,
Python itself, make, git, are not counted). Steps, each timed, in this order:

1. installing the pinned uv (``make .venv-uv/bin/uv``);
2. ``make venv`` with the empty cache: uv resolves from uv.lock, downloads, unpacks, links;
3. the first ``tpn --help``;
4. ``make demo`` until Prefect logs "Beginning flow run" (the first temporary server: Prefect
   creates its database), then stopped (``--no-demo-start`` skips it);
5. every ``__pycache__`` removed, the import of the demo flow (Python compiles the bytecode of
   every module it imports), then the same import again: the difference is the compile cost;
6. ``.venv`` removed and ``make venv`` again with the now-filled cache: what linking alone
   costs; step 2 minus this is downloading and unpacking.

The last line is the summary to compare over time; goal (issue #23): up to the pipeline's start
in ≤ 45 s.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEMO_STARTED = "Beginning flow run"
IMPORT_DEMO = "import flows.demo"


def copy_tree(tree: Path, dest: Path) -> None:
    """The files git tracks in ``tree`` (as they are on disk, uncommitted edits included)."""
    listed = subprocess.run(
        ["git", "-C", str(tree), "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        check=True,
        capture_output=True,
    ).stdout.split(b"\0")
    for name in filter(None, listed):
        source = tree / os.fsdecode(name)
        if not source.is_file():  # deleted but not yet committed
            continue
        target = dest / os.fsdecode(name)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target)


def clean_env(work: Path, clone: Path) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("PREFECT_", "TPN_", "UV_", "VIRTUAL_ENV", "PYTHONPATH", "MAKE"))
        # A user's Python writes bytecode on first import and reads it after: measured so.
        and key != "PYTHONDONTWRITEBYTECODE"
    }
    env.update(
        UV_CACHE_DIR=str(work / "uv-cache"),
        PIP_CACHE_DIR=str(work / "pip-cache"),
        PREFECT_HOME=str(clone / "var" / "prefect"),
        PREFECT_SERVER_ANALYTICS_ENABLED="false",
        DO_NOT_TRACK="1",
    )
    return env


#: CPU seconds (user + system) of every finished child, per step: less noisy than wall time
#: on a shared machine.
CPU: dict[str, float] = {}


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(command: list[str], cwd: Path, env: dict[str, str], step: str = "") -> float:
    """Wall seconds of ``command``; its CPU seconds go to ``CPU[step]``."""
    cpu = _children_cpu()
    started = time.perf_counter()
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - started
    CPU[step or command[-1]] = _children_cpu() - cpu
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{done.stdout[-2000:]}{done.stderr[-2000:]}")
    return elapsed


def demo_start(clone: Path, env: dict[str, str], timeout: float = 600) -> tuple[float, float]:
    """Seconds from ``make demo`` to Prefect's temporary server starting, and to the flow run's
    beginning; the demo is then stopped (its process group)."""
    started = time.perf_counter()
    process = subprocess.Popen(
        ["make", "demo"],
        cwd=clone,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    server = float("nan")
    lines: list[str] = []
    try:
        assert process.stdout is not None
        for line in process.stdout:
            lines.append(line)
            if "Starting temporary server" in line:
                server = time.perf_counter() - started
            if DEMO_STARTED in line:
                return server, time.perf_counter() - started
            if time.perf_counter() - started > timeout:
                break
        raise SystemExit("make demo never began its flow run:\n" + "".join(lines[-30:]))
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tree", type=Path, default=ROOT, help="the checkout to install")
    parser.add_argument(
        "--no-demo-start", action="store_true", help="skip `make demo` up to the flow run"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="tpn-bench-install-") as tmp:
        work = Path(tmp)
        clone = work / "clone"
        copy_tree(args.tree.resolve(), clone)
        env = clean_env(work, clone)
        python = str(clone / ".venv" / "bin" / "python")

        uv = timed(["make", ".venv-uv/bin/uv"], clone, env, "uv")
        sync_cold = timed(["make", "venv"], clone, env, "sync")
        packages = len(list((clone / ".venv").glob("lib/python*/site-packages/*.dist-info")))
        tpn_help = timed([str(clone / ".venv" / "bin" / "tpn"), "--help"], clone, env, "help")
        server = demo = float("nan")
        if not args.no_demo_start:
            server, demo = demo_start(clone, env)
        for cache in clone.rglob("__pycache__"):  # all bytecode gone: the import starts cold
            shutil.rmtree(cache)
        import_cold = timed([python, "-c", IMPORT_DEMO], clone, env, "cold")
        import_warm = timed([python, "-c", IMPORT_DEMO], clone, env, "warm")
        shutil.rmtree(clone / ".venv")
        sync_warm = timed(["make", "venv"], clone, env, "link")
        cache_mb = sum(f.stat().st_size for f in (work / "uv-cache").rglob("*") if f.is_file())

    install = uv + sync_cold
    print(f"\nFresh install of {args.tree.resolve()} ({packages} packages):")
    print("  step                                          wall        CPU")
    rows = [
        ("pinned uv (make .venv-uv/bin/uv)", uv, "uv"),
        ("make venv, empty uv cache", sync_cold, "sync"),
        ("  of which linking (make venv again)", sync_warm, "link"),
        ("first `tpn --help`", tpn_help, "help"),
        (f"`{IMPORT_DEMO}`, compiling bytecode", import_cold, "cold"),
        ("  again, bytecode compiled", import_warm, "warm"),
    ]
    for label, wall, step in rows:
        print(f"  {label:<42} {wall:6.1f} s {CPU[step]:6.1f} s")
    print(f"  so downloading + unpacking                 {sync_cold - sync_warm:6.1f} s")
    print(f"  uv cache after the install                 {cache_mb / 1e6:6.0f} MB")
    if not args.no_demo_start:
        print(f"  make demo → temporary server starting        {server:6.1f} s")
        print(f"  make demo → flow run begins                  {demo:6.1f} s")
    to_start = "skipped" if args.no_demo_start else f"{install + demo:.1f} s"
    print(
        f"SUMMARY install: install {install:.1f} s (uv {uv:.1f} + make venv {sync_cold:.1f}; "
        f"CPU {CPU['uv'] + CPU['sync']:.1f} s), "
        f"first import {import_cold:.1f} s (warm {import_warm:.1f}), "
        f"to pipeline start {to_start} (goal ≤ 45 s)"
    )


if __name__ == "__main__":
    main()
