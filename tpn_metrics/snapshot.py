"""The analysts' read-only snapshot (``warehouse/tpn.readonly.duckdb``) follows every write
they read.

Analysts (and `tpn export`) read the snapshot, never the live warehouse, so a write to a
table they read is not finished until the snapshot has it. Two kinds of write reach them:

- the dbt build (marts): :func:`tpn_metrics.warehouse_build.build_atomically` refreshes the
  snapshot as it swaps the built copy in;
- Python writes outside dbt (``evaluation.eval_*``, ``twinning.*``, tables declared in
  :mod:`tpn_metrics.declared_tables`): made inside :func:`writing_for_analysts`, which
  refreshes the snapshot when the block succeeds.

A failed block leaves the snapshot as it was (analysts keep the previous, consistent state).
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from tpn_metrics.settings import Settings
from tpn_metrics.warehouse import open_warehouse
from tpn_metrics.warehouse_swap import build_lock, build_paths


def refresh_snapshot(settings: Settings, *, lock_wait_seconds: float = 600.0) -> Path:
    """Copy the warehouse over the snapshot (a checkpointed copy, then a rename: readers of
    the old snapshot keep their file), under the build lock; returns the snapshot's path."""
    paths = build_paths(settings)
    with build_lock(paths.lock, lock_wait_seconds):
        with open_warehouse(paths.live) as con:
            con.execute("checkpoint")  # everything in the file, no WAL to leave behind
        with open_warehouse(paths.live, read_only=True):  # no writer while copying
            shutil.copyfile(paths.live, paths.snapshot_partial)
        paths.snapshot_partial.replace(paths.snapshot)
    return paths.snapshot


@contextmanager
def writing_for_analysts(settings: Settings) -> Iterator[duckdb.DuckDBPyConnection]:
    """A writing connection to the warehouse; the snapshot is refreshed after it closes,
    when the block succeeded."""
    with open_warehouse(settings.warehouse_path) as con:
        yield con
    refresh_snapshot(settings)
