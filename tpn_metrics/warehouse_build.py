"""Build the warehouse on a copy and swap it in atomically (design: docs/warehouse.md).

Analysts must never see a half-built warehouse, and a build that fails or is killed must
leave the previous marts intact and readable. So :func:`build_atomically`:

1. takes ``warehouse/.build.lock`` (``fcntl.flock``: two builds never race; the kernel
   releases it when the process dies, even on ``kill -9``);
2. checkpoints ``tpn.duckdb`` (ingestion's writes are in the file, none left in a WAL) and
   copies it to ``tpn.building.duckdb``, holding a read-only DuckDB connection, which keeps
   other processes from writing during the copy;
3. runs ``dbt build`` on the copy (``--full-refresh`` when the definition of an incremental
   mart changed since the build that made the warehouse, see below);
4. on success checkpoints the copy, then, holding a read-only connection on ``tpn.duckdb`` so
   no other process can write meanwhile, checks that nobody wrote to it since the copy and
   ``os.replace``-s the copy over it (a rename: atomic on POSIX; readers holding the old
   file keep reading the old inode): :func:`tpn_metrics.warehouse_swap.swap_in`;
5. refreshes ``tpn.readonly.duckdb``, the analysts' snapshot (also by rename), and records
   the incremental marts' definition fingerprints in ``tpn.build-state.json``.

A failed build, a killed process or a concurrent write (:class:`ConcurrentWriteError`)
leaves ``tpn.duckdb`` as it was; the leftover copy is discarded by the next build.

Why a definition fingerprint (:mod:`tpn_metrics.build_state`): an incremental mart writes
only the weeks whose data changed, so a change of its SQL, a macro, seed or var it depends on
would otherwise reach only new weeks; when the fingerprint differs from the recorded one (or
nothing is recorded) the build is a full refresh. The docs site is :mod:`tpn_metrics.dbt_docs`.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Sequence

from tpn_metrics.build_state import (
    built_models,
    full_refresh_reason,
    incremental_fingerprints,
    read_state,
    write_state,
)
from tpn_metrics.dbt_runner import DbtBuildError, DbtRunOutcome, build_arguments, run_dbt
from tpn_metrics.dbt_vars import project_vars
from tpn_metrics.settings import Settings
from tpn_metrics.warehouse_swap import (
    BuildPaths,
    build_lock,
    build_paths,
    copy_warehouse,
    discard,
    swap_in,
)

logger = logging.getLogger(__name__)


def current_fingerprints(settings: Settings, paths: BuildPaths) -> dict[str, str]:
    """``dbt parse`` (fast: partial parsing) and the fingerprints from its manifest."""
    outcome = run_dbt(["parse"], settings, warehouse_path=paths.building)
    if not outcome.success:
        raise DbtBuildError(outcome)
    manifest = json.loads((settings.dbt_target_dir / "manifest.json").read_text("utf-8"))
    return incremental_fingerprints(manifest, project_vars(settings.dbt_project_dir))


# --- the build -----------------------------------------------------------------------------


def build_atomically(
    settings: Settings,
    select: str | Sequence[str] | None = None,
    *,
    full_refresh: bool = False,
    indirect_selection: str | None = None,
    lock_wait_seconds: float = 3600.0,
) -> DbtRunOutcome:
    """``dbt build`` on a copy of the warehouse, published by an atomic rename on success.

    Raises :class:`DbtBuildError` when a node fails (the warehouse is unchanged),
    :class:`BuildLockedError` when another build holds the lock past ``lock_wait_seconds``,
    :class:`ConcurrentWriteError` when another process wrote to the warehouse meanwhile.
    ``full_refresh`` forces a rebuild of the incremental marts; it also happens by itself
    when their definition changed. ``select`` and ``indirect_selection`` are dbt's (for a
    partial build, ``indirect_selection="buildable"`` runs only the tests of what it builds).
    Close every connection to the warehouse first.
    """
    paths = build_paths(settings)
    with build_lock(paths.lock, lock_wait_seconds):
        discard(paths.building, paths.snapshot_partial)  # leftovers of a killed build
        signature = copy_warehouse(paths)
        try:
            fingerprints = current_fingerprints(settings, paths)
            state = read_state(paths)
            recorded = dict(state.get("incremental_models", {}))
            reason = "requested" if full_refresh else full_refresh_reason(recorded, fingerprints)
            if reason:
                logger.info("full refresh of the incremental marts: %s", reason)
            outcome = run_dbt(
                build_arguments(
                    select, full_refresh=reason is not None, indirect_selection=indirect_selection
                ),
                settings,
                warehouse_path=paths.building,
            )
            if not outcome.success:
                raise DbtBuildError(outcome)
            swap_in(paths, signature)
        except BaseException:
            discard(paths.building, paths.snapshot_partial)
            raise
        # A model left out of the selection keeps its old record (a full refresh next time
        # if its definition changed).
        built = built_models(settings)
        recorded.update({uid: digest for uid, digest in fingerprints.items() if uid in built})
        write_state(
            paths,
            {
                "incremental_models": recorded,
                "published_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                "full_refresh_reason": reason,
                "dbt_command": list(outcome.command),
            },
        )
    return outcome
