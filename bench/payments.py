"""Contribution-level scale: ingest + validate + build of 1M and 10M payments vs bare DuckDB.

    .venv/bin/python bench/payments.py [--rows 1000000 10000000]

Each measurement runs in its own process so its peak memory (max RSS) is its own. "Ours" is
tpn_metrics.ingest.payments.ingest_payments (read, row checks, district resolution,
pseudonymisation, GX on the aggregate, landing insert, Parquet copy) plus `dbt build` of the
payments models and their tests; "bare" is one DuckDB query doing the same read and weekly
aggregation by district. The last line is the summary to compare over time.

Besides wall time, each part reports its CPU time (user + system, all threads of the process:
what DuckDB and dbt computed, which a busy machine inflates far less than wall time), and
"ours" measures dbt's fixed cost: the same `dbt build` run once before the ingest, on no
payments. The script runs against older code too (``PYTHONPATH=<old checkout> python
bench/payments.py``): it only calls ingest_payments, dbt_build_in_place and FrameValidator.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GOAL_RATIO = 3.0
GOAL_PEAK_GB = 4.0


def _peak_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2


def _cpu_s() -> float:
    """CPU seconds of this process so far, every thread, user + system."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def measure_ours(csv_path: str, home: str) -> dict[str, float]:
    from tpn_metrics.dbt_runner import dbt_build_in_place
    from tpn_metrics.ingest.payments import ingest_payments
    from tpn_metrics.ingest.validation import FrameValidator
    from tpn_metrics.settings import Settings

    settings = Settings(home=Path(home))
    # Start-up costs are not per row: the warehouse exists before the run, and GX's import and
    # context load (~8 s) are paid once per process. Measured apart, reported apart.
    dbt_build_in_place(settings)
    warm = time.perf_counter()
    FrameValidator(
        settings.expectations_dir, settings.home / "var" / "gx", __import__("datetime").date.today()
    ).context()
    startup = time.perf_counter() - warm
    # dbt's fixed cost: the same build on no payments (not counted in the total).
    empty_cpu, empty_started = _cpu_s(), time.perf_counter()
    dbt_build_in_place(settings, select=["stg_payments__payments+"])
    empty_s, empty_cpu = time.perf_counter() - empty_started, _cpu_s() - empty_cpu
    cpu_started, started = _cpu_s(), time.perf_counter()
    outcome = ingest_payments(Path(csv_path), settings, salt="bench-salt-0123456789")
    cpu_ingested, ingested = _cpu_s(), time.perf_counter()
    if outcome.status != "loaded":
        raise SystemExit(f"ingest failed: {outcome.reason}")
    dbt_build_in_place(settings, select=["stg_payments__payments+"])
    cpu_built, built = _cpu_s(), time.perf_counter()
    return {
        "ingest_s": ingested - started,
        "build_s": built - ingested,
        "total_s": built - started,
        "ingest_cpu_s": cpu_ingested - cpu_started,
        "build_cpu_s": cpu_built - cpu_ingested,
        "total_cpu_s": cpu_built - cpu_started,
        "build_empty_s": empty_s,
        "build_empty_cpu_s": empty_cpu,
        "gx_startup_s": startup,
        "peak_gb": _peak_gb(),
    }


def measure_bare(csv_path: str) -> dict[str, float]:
    import duckdb

    con = duckdb.connect()
    con.execute("set enable_progress_bar = false")
    cpu_started, started = _cpu_s(), time.perf_counter()
    rows = con.execute(
        """
        select
            district,
            cast(paid_at as date) + cast((5 - isodow(paid_at) + 7) % 7 as integer) as week,
            count(*), count(distinct household_ref), sum(members), sum(amount_rwf)
        from read_csv(?, header = true)
        group by all
        """,
        [csv_path],
    ).fetchall()
    elapsed = time.perf_counter() - started
    return {
        "total_s": elapsed,
        "total_cpu_s": _cpu_s() - cpu_started,
        "groups": len(rows),
        "peak_gb": _peak_gb(),
    }


def _child(kind: str, *args: str) -> dict[str, float]:
    output = subprocess.run(
        [sys.executable, __file__, "--child", kind, *args],
        check=True,
        capture_output=True,
        text=True,
        env={**os.environ, "DBT_SEND_ANONYMOUS_USAGE_STATS": "false", "TQDM_DISABLE": "1"},
    ).stdout
    return json.loads(output.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[1_000_000, 10_000_000])
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        kind, *rest = args.child
        result = measure_ours(*rest) if kind == "ours" else measure_bare(*rest)
        print(json.dumps(result))
        return

    sys.path.insert(0, str(ROOT))
    from tpn_metrics.sample.payments import generate_payments

    summary = []
    with tempfile.TemporaryDirectory(prefix="tpn-bench-payments-") as tmp:
        for rows in args.rows:
            csv_path = Path(tmp) / f"payments_{rows}.csv"
            started = time.perf_counter()
            generate_payments(csv_path, rows, households=rows // 3)
            size_mb = csv_path.stat().st_size / 1024**2
            print(
                f"{rows:,} rows: generated {size_mb:,.0f} MB in "
                f"{time.perf_counter() - started:.1f} s",
                flush=True,
            )
            bare = _child("bare", str(csv_path))
            ours = _child("ours", str(csv_path), str(Path(tmp) / f"home_{rows}"))
            ratio = ours["total_s"] / bare["total_s"]
            cpu_ratio = ours["total_cpu_s"] / bare["total_cpu_s"]
            print(
                f"  bare DuckDB read+aggregate: {bare['total_s']:.2f} s "
                f"(CPU {bare['total_cpu_s']:.2f} s), peak {bare['peak_gb']:.2f} GB"
            )
            print(
                f"  tpn ingest {ours['ingest_s']:.2f} s + dbt build {ours['build_s']:.2f} s = "
                f"{ours['total_s']:.2f} s (CPU {ours['ingest_cpu_s']:.2f} + "
                f"{ours['build_cpu_s']:.2f} s), peak {ours['peak_gb']:.2f} GB "
                f"(GX start-up {ours['gx_startup_s']:.1f} s, not counted)"
            )
            print(
                f"  dbt's fixed cost: the same build on no payments {ours['build_empty_s']:.2f} s "
                f"(CPU {ours['build_empty_cpu_s']:.2f} s), not counted"
            )
            print(
                f"  ratio {ratio:.2f}× (goal ≤ {GOAL_RATIO:.0f}×), CPU ratio {cpu_ratio:.2f}×",
                flush=True,
            )
            summary.append(
                f"{rows / 1e6:g}M {ratio:.2f}× (CPU {cpu_ratio:.2f}×) peak {ours['peak_gb']:.2f} GB"
            )
    print(
        "SUMMARY payments: "
        + "; ".join(summary)
        + f" (goals: ratio ≤ {GOAL_RATIO:.0f}×, peak < {GOAL_PEAK_GB:.0f} GB)"
    )


if __name__ == "__main__":
    main()
