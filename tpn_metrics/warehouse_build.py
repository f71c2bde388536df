"""Build the warehouse on a copy and swap it in atomically (design: docs/warehouse.md).

Analysts must never see a half-built warehouse, and a build that fails or is killed must
leave the previous marts intact and readable. So :func:`build_atomically`:

1. takes ``warehouse/.build.lock`` (``fcntl.flock``: two builds never race; the kernel
   releases it when the process dies, even on ``kill -9``);
2. checkpoints ``tpn.duckdb`` (ingestion's writes are in the file, none left in a WAL) and
   copies it to ``tpn.building.duckdb``, holding a read-only DuckDB connection, which keeps
   other processes from writing during the copy;
3. parses the project once (partial parsing) and runs ``dbt build`` on the copy with that
   manifest: everything when a definition changed or nothing is recorded, otherwise only what
   changed sources and the clock reach (:mod:`tpn_metrics.build_selection`); with
   ``--full-refresh`` when the definition of an incremental mart changed since the build
   that made the warehouse, see below;
4. on success checkpoints the copy, then, holding a read-only connection on ``tpn.duckdb`` so
   no other process can write meanwhile, checks that nobody wrote to it since the copy and
   ``os.replace``-s the copy over it (a rename: atomic on POSIX; readers holding the old
   file keep reading the old inode): :func:`tpn_metrics.warehouse_swap.swap_in`;
5. refreshes ``tpn.readonly.duckdb``, the analysts' snapshot (also by rename), and records
   the definition fingerprints and the sources' signatures in ``tpn.build-state.json``.

A failed build, a killed process or a concurrent write (:class:`ConcurrentWriteError`)
leaves ``tpn.duckdb`` as it was; the leftover copy is discarded by the next build.

Why a definition fingerprint (:mod:`tpn_metrics.build_state`): an incremental mart writes
only the weeks whose data changed, so a change of its SQL, a macro, seed or var it depends on
would otherwise reach only new weeks; when the fingerprint differs from the recorded one (or
nothing is recorded) the build is a full refresh. The docs site is :mod:`tpn_metrics.dbt_docs`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from tpn_metrics.build_selection import (
    SelectionPlan,
    plan_selection,
    project_fingerprint,
    source_signatures,
)
from tpn_metrics.build_state import (
    built_models,
    full_refresh_reason,
    incremental_fingerprints,
    read_state,
    write_state,
)
from tpn_metrics.dbt_runner import (
    DbtBuildError,
    DbtRunOutcome,
    build_arguments,
    parse_project,
    run_dbt,
)
from tpn_metrics.dbt_vars import project_vars
from tpn_metrics.settings import Settings
from tpn_metrics.warehouse import open_warehouse
from tpn_metrics.warehouse_swap import (
    BuildPaths,
    build_lock,
    build_paths,
    copy_warehouse,
    discard,
    swap_in,
)

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class BuildInputs:
    """What a build reads, taken on the building copy before dbt runs: the parsed project
    (dbt's manifest object, reused by the build: one parse per build), the incremental marts'
    fingerprints, the whole project's fingerprint and each source's content signature."""

    manifest: Any
    incremental: dict[str, str]
    project: str
    sources: dict[str, str]
    manifest_json: Mapping[str, Any]


def read_build_inputs(settings: Settings, paths: BuildPaths) -> BuildInputs:
    """``dbt parse`` (fast: partial parsing) on the building copy, and the fingerprints of
    :mod:`tpn_metrics.build_state` and :mod:`tpn_metrics.build_selection`. Raises
    :class:`DbtBuildError` when the project does not parse."""
    parsed = parse_project(settings, warehouse_path=paths.building)
    variables = project_vars(settings.dbt_project_dir)
    with open_warehouse(paths.building, read_only=True) as con:
        sources = source_signatures(con, parsed.manifest_json)
    return BuildInputs(
        manifest=parsed.manifest,
        incremental=incremental_fingerprints(parsed.manifest_json, variables),
        project=project_fingerprint(parsed.manifest_json, variables),
        sources=sources,
        manifest_json=parsed.manifest_json,
    )


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
    ``full_refresh`` forces a rebuild of the incremental marts (and of every node); it also
    happens by itself when their definition changed. Without ``select`` the build runs only
    what changed sources (and the clock) reach, or everything when a definition changed
    (:func:`tpn_metrics.build_selection.plan_selection`); ``select`` and
    ``indirect_selection`` are dbt's (for a partial build, ``indirect_selection="buildable"``
    runs only the tests of what it builds). Close every connection to the warehouse first.
    """
    paths = build_paths(settings)
    with build_lock(paths.lock, lock_wait_seconds):
        discard(paths.building, paths.snapshot_partial)  # leftovers of a killed build
        signature = copy_warehouse(paths)
        try:
            inputs = read_build_inputs(settings, paths)
            state = read_state(paths)
            recorded = dict(state.get("incremental_models", {}))
            reason = (
                "requested" if full_refresh else full_refresh_reason(recorded, inputs.incremental)
            )
            if reason:
                logger.info("full refresh of the incremental marts: %s", reason)
            if select is not None:
                plan = SelectionPlan(None, False, "selected by the caller")
            elif reason is not None:
                plan = SelectionPlan(None, False, f"full build: full refresh ({reason})")
            else:
                plan = plan_selection(inputs.manifest_json, inputs.project, inputs.sources, state)
            logger.info("dbt build: %s", plan.reason)
            if plan.is_empty:
                discard(paths.building)
                return DbtRunOutcome(("build",), True, (), {}, 0.0)
            outcome = run_dbt(
                build_arguments(
                    select if select is not None else plan.select,
                    full_refresh=reason is not None,
                    indirect_selection=indirect_selection,
                    exclude_resource_types=("unit_test",) if plan.exclude_unit_tests else (),
                ),
                settings,
                warehouse_path=paths.building,
                manifest=inputs.manifest,
            )
            if not outcome.success:
                raise DbtBuildError(outcome)
            swap_in(paths, signature)
        except BaseException:
            discard(paths.building, paths.snapshot_partial)
            raise
        # A model left out of the selection keeps its old record (a full refresh next time
        # if its definition changed). The sources' signatures are those the marts now
        # reflect: this build's after a build of everything they reach (full or planned),
        # the previous ones after a caller's own selection.
        built = built_models(settings)
        recorded.update({uid: d for uid, d in inputs.incremental.items() if uid in built})
        planned = select is None
        write_state(
            paths,
            {
                "incremental_models": recorded,
                "project_fingerprint": inputs.project
                if planned
                else state.get("project_fingerprint"),
                "source_signatures": inputs.sources if planned else state.get("source_signatures"),
                "selection": plan.reason,
                "published_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                "full_refresh_reason": reason,
                "dbt_command": list(outcome.command),
            },
        )
    return outcome
