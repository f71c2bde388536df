"""Cost flat in history: the same Friday run on warehouses holding 1, 5 and 10 years.

    .venv/bin/python bench/history.py [--years 1 5 10]

History is written straight into the landing tables (tests/dbt/synthetic_history.py: 30
districts, one file a Friday, the ledger beside it) and built once, unmeasured. Then one new
Friday arrives and the script times the stages whose cost could grow with history — the dbt
build, the population-correction check and the district emails — and counts the rows each
incremental mart wrote (``dbt_loaded_at`` newer than before the run). The last line is the
summary: the ratio of the 10-year run to the 1-year run (goal ≤ 1.2).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GOAL = 1.2
FRIDAYS_A_YEAR = 52


def one_run(years: int, tmp: Path) -> dict[str, float]:
    sys.path.insert(0, str(ROOT))
    from tests.dbt import synthetic_history as history
    from tpn_metrics import stages
    from tpn_metrics.settings import Settings
    from tpn_metrics.warehouse import ensure_landing_schema, open_warehouse

    settings = Settings(home=tmp / f"history_{years}y")
    weeks = years * FRIDAYS_A_YEAR
    with open_warehouse(settings.warehouse_path) as con:
        ensure_landing_schema(con)
        history.add_fridays(con, settings, history.FIRST_FRIDAY, weeks)
    stages.run_dbt_build(settings)
    stages.run_emails(settings)

    with open_warehouse(settings.warehouse_path) as con:
        history.add_fridays(con, settings, history.friday(weeks), 1)
    stamps = history.latest_stamps(settings.warehouse_path)
    timings = {}
    started = time.perf_counter()
    stages.run_dbt_build(settings)
    timings["dbt_build_s"] = time.perf_counter() - started
    started = time.perf_counter()
    stages.check_corrections(settings)
    timings["corrections_check_s"] = time.perf_counter() - started
    started = time.perf_counter()
    report = stages.run_emails(settings)
    timings["emails_s"] = time.perf_counter() - started
    written = history.rows_written_since(settings.warehouse_path, stamps)
    timings["total_s"] = sum(timings.values())
    timings["rows_written"] = sum(len(rows) for rows in written.values())
    timings["history_rows"] = weeks * 30
    timings["emails"] = report.delivered
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--years", type=int, nargs="+", default=[1, 5, 10])
    args = parser.parse_args()
    results = {}
    with tempfile.TemporaryDirectory(prefix="tpn-bench-history-") as tmp:
        for years in args.years:
            result = one_run(years, Path(tmp))
            results[years] = result
            print(
                f"{years:>2} years ({result['history_rows']:,.0f} district-weeks): "
                f"rows written {result['rows_written']:.0f}, "
                f"dbt build {result['dbt_build_s']:.1f} s, "
                f"corrections check {result['corrections_check_s']:.2f} s, "
                f"emails {result['emails_s']:.1f} s ({result['emails']:.0f} sent), "
                f"total {result['total_s']:.1f} s",
                flush=True,
            )
    first, last = min(results), max(results)
    ratio = results[last]["total_s"] / results[first]["total_s"]
    rows_ratio = results[last]["rows_written"] / max(results[first]["rows_written"], 1)
    print(
        f"SUMMARY history: {last}y / {first}y time ratio {ratio:.2f} (goal ≤ {GOAL}), "
        f"rows written ratio {rows_ratio:.2f}"
    )


if __name__ == "__main__":
    main()
