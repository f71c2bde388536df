"""Build the warehouse on a copy and publish it atomically (design: docs/warehouse.md).

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
   file keep reading the old inode);
5. refreshes ``tpn.readonly.duckdb``, the analysts' snapshot (also by rename), and records
   the incremental marts' definition fingerprints in ``tpn.build-state.json``.

A failed build, a killed process or a concurrent write (:class:`ConcurrentWriteError`)
leaves ``tpn.duckdb`` as it was; the leftover copy is discarded by the next build.

Why a definition fingerprint: an incremental mart writes only the weeks whose data changed,
so a change of its SQL, of a macro, seed or var it depends on would otherwise reach only new
weeks. The fingerprint hashes what dbt's manifest says each incremental model depends on
(node checksums and configs, contracts, macro SQL, seed file checksums) and the project's
vars; when it differs from the recorded one (or nothing is recorded) the build is a full
refresh.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import os
import shutil
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from tpn_metrics.dbt_runner import DbtBuildError, DbtRunOutcome, build_arguments, run_dbt
from tpn_metrics.settings import Settings
from tpn_metrics.warehouse import ensure_landing_schema, open_warehouse

logger = logging.getLogger(__name__)

#: Attempts at a consistent copy of the warehouse before giving up.
COPY_ATTEMPTS = 3


class PublishError(RuntimeError):
    """The build could not be published; the previous warehouse is unchanged."""


class BuildLockedError(PublishError):
    """Another build holds ``warehouse/.build.lock``."""


class ConcurrentWriteError(PublishError):
    """Another process wrote to the warehouse during the build: publishing would lose it."""


@dataclass(frozen=True)
class PublishPaths:
    """The files of an atomic build, all beside the warehouse (one file system)."""

    live: Path
    building: Path
    snapshot: Path
    lock: Path
    state: Path

    @property
    def live_wal(self) -> Path:
        return _wal(self.live)

    @property
    def snapshot_partial(self) -> Path:
        return self.snapshot.with_name(self.snapshot.name + ".partial")


def publish_paths(settings: Settings) -> PublishPaths:
    """``tpn.duckdb`` → ``tpn.building.duckdb``, ``tpn.readonly.duckdb``, ``.build.lock``,
    ``tpn.build-state.json``. Every copy keeps the stem before the first dot, which DuckDB and
    dbt-duckdb use as the catalog name: each file opens as catalog ``tpn``.
    """
    live = settings.warehouse_path
    stem = live.name.split(".")[0]
    folder = live.parent
    return PublishPaths(
        live=live,
        building=folder / f"{stem}.building.duckdb",
        snapshot=folder / f"{stem}.readonly.duckdb",
        lock=folder / ".build.lock",
        state=folder / f"{stem}.build-state.json",
    )


def _wal(path: Path) -> Path:
    return path.with_name(path.name + ".wal")


@contextmanager
def build_lock(path: Path, wait_seconds: float = 3600.0) -> Iterator[None]:
    """Hold an exclusive ``flock`` on ``path``, waiting up to ``wait_seconds`` for it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        deadline = time.monotonic() + wait_seconds
        while True:
            try:
                fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError as error:
                if time.monotonic() >= deadline:
                    raise BuildLockedError(
                        f"another build holds {path} (waited {wait_seconds:.0f} s)"
                    ) from error
                time.sleep(0.5)
        os.ftruncate(descriptor, 0)
        os.write(descriptor, f"{os.getpid()}\n".encode())  # for a person looking
        yield
    finally:
        os.close(descriptor)  # releases the lock


@dataclass(frozen=True)
class FileSignature:
    """Enough of a file's state to tell that nobody wrote to it."""

    inode: int
    size: int
    modified_ns: int
    has_wal: bool


def file_signature(path: Path) -> FileSignature:
    status = path.stat()
    return FileSignature(status.st_ino, status.st_size, status.st_mtime_ns, _wal(path).exists())


def _discard(*paths: Path) -> None:
    for path in paths:
        path.unlink(missing_ok=True)
        _wal(path).unlink(missing_ok=True)


def _fsync(path: Path) -> None:
    """Flush a file (or a folder's entries, after a rename) to the disk."""
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _checkpoint(path: Path, *, landing: bool = False) -> None:
    """Write everything into the file itself (no WAL beside it), creating it if needed."""
    with open_warehouse(path) as con:
        if landing:
            ensure_landing_schema(con)
        con.execute("checkpoint")


def copy_warehouse(paths: PublishPaths) -> FileSignature:
    """Copy the checkpointed warehouse to the building file; returns the signature to check
    before publishing. Holds a read-only connection while copying: other processes cannot
    write meanwhile (DuckDB: one writer, and not while anyone else has the file open).
    """
    for _attempt in range(COPY_ATTEMPTS):
        _checkpoint(paths.live, landing=True)  # waits while another process writes
        with open_warehouse(paths.live, read_only=True):
            signature = file_signature(paths.live)
            if signature.has_wal:  # written between the checkpoint and now: again
                continue
            shutil.copyfile(paths.live, paths.building)
            if file_signature(paths.live) == signature:
                return signature
    raise ConcurrentWriteError(
        f"{paths.live} kept being written while it was copied; run the build again"
    )


def publish(paths: PublishPaths, signature: FileSignature) -> None:
    """Replace the warehouse with the building file, if nobody wrote to it since the copy."""
    _checkpoint(paths.building)
    if _wal(paths.building).exists():
        raise PublishError(f"{paths.building} still has a write-ahead log after a checkpoint")
    _fsync(paths.building)  # its bytes are on the disk before its name is
    shutil.copyfile(paths.building, paths.snapshot_partial)
    with open_warehouse(paths.live, read_only=True):  # no other writer until the rename
        if file_signature(paths.live) != signature:
            raise ConcurrentWriteError(
                f"{paths.live} was written by another process during the build; nothing "
                "was published (those writes are kept): run the build again"
            )
        paths.building.replace(paths.live)  # rename(2): atomic
        _fsync(paths.live.parent)
    paths.snapshot_partial.replace(paths.snapshot)


# --- definition fingerprints of the incremental marts ------------------------------------


def _node_definition(node: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "unique_id": node.get("unique_id"),
        "checksum": node.get("checksum"),
        "config": node.get("config"),
        "contract": node.get("contract"),
        "constraints": node.get("constraints"),
        "columns": {
            name: [column.get("data_type"), column.get("constraints")]
            for name, column in sorted((node.get("columns") or {}).items())
        },
    }


def incremental_fingerprints(
    manifest: Mapping[str, Any], project_vars: Mapping[str, Any]
) -> dict[str, str]:
    """unique_id → SHA-256 of the definition of each incremental model and its upstream."""
    nodes: Mapping[str, Any] = manifest.get("nodes", {})
    macros: Mapping[str, Any] = manifest.get("macros", {})
    parent_map: Mapping[str, list[str]] = manifest.get("parent_map", {})
    vars_text = json.dumps(project_vars, sort_keys=True, default=str)
    fingerprints = {}
    for unique_id, node in sorted(nodes.items()):
        config = node.get("config") or {}
        if node.get("resource_type") != "model" or config.get("materialized") != "incremental":
            continue
        upstream: set[str] = set()
        pending = [unique_id]
        while pending:
            current = pending.pop()
            if current in upstream or current not in nodes:  # sources are data, not code
                continue
            upstream.add(current)
            pending.extend(parent_map.get(current, []))
        used_macros: set[str] = set()
        pending = [m for current in upstream for m in nodes[current]["depends_on"]["macros"]]
        while pending:
            current = pending.pop()
            if current in used_macros or current not in macros:
                continue
            used_macros.add(current)
            pending.extend(macros[current].get("depends_on", {}).get("macros", []))
        digest = hashlib.sha256(vars_text.encode())
        for current in sorted(upstream):
            definition = _node_definition(nodes[current])
            digest.update(json.dumps(definition, sort_keys=True, default=str).encode())
        for current in sorted(used_macros):
            digest.update(f"{current}\n{macros[current].get('macro_sql', '')}".encode())
        fingerprints[unique_id] = digest.hexdigest()
    return fingerprints


def project_vars(settings: Settings) -> dict[str, Any]:
    project = yaml.safe_load((settings.dbt_project_dir / "dbt_project.yml").read_text())
    return dict(project.get("vars") or {})


def read_state(paths: PublishPaths) -> dict[str, Any]:
    try:
        state = json.loads(paths.state.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return state if isinstance(state, dict) else {}


def _write_state(paths: PublishPaths, state: Mapping[str, Any]) -> None:
    partial = paths.state.with_name(paths.state.name + ".partial")
    partial.write_text(json.dumps(state, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    partial.replace(paths.state)


def current_fingerprints(settings: Settings, paths: PublishPaths) -> dict[str, str]:
    """``dbt parse`` (fast: partial parsing) and the fingerprints from its manifest."""
    outcome = run_dbt(["parse"], settings, warehouse_path=paths.building)
    if not outcome.success:
        raise DbtBuildError(outcome)
    manifest = json.loads((settings.dbt_target_dir / "manifest.json").read_text("utf-8"))
    return incremental_fingerprints(manifest, project_vars(settings))


def full_refresh_reason(recorded: Mapping[str, str], current: Mapping[str, str]) -> str | None:
    """Why the incremental marts must be rebuilt from scratch, or None."""
    if not recorded:
        return "no record of the definitions that built the incremental marts"
    changed = sorted(uid for uid, digest in current.items() if recorded.get(uid) != digest)
    if changed:
        return "definition changed: " + ", ".join(uid.split(".")[-1] for uid in changed)
    return None


def _built_models(settings: Settings) -> set[str]:
    """Models the last dbt run built successfully (from its run_results.json)."""
    try:
        results = json.loads((settings.dbt_target_dir / "run_results.json").read_text("utf-8"))
    except (OSError, ValueError):
        return set()
    return {
        result["unique_id"]
        for result in results.get("results", [])
        if result.get("status") == "success"
    }


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
    paths = publish_paths(settings)
    with build_lock(paths.lock, lock_wait_seconds):
        _discard(paths.building, paths.snapshot_partial)  # leftovers of a killed build
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
            publish(paths, signature)
        except BaseException:
            _discard(paths.building, paths.snapshot_partial)
            raise
        # A model left out of the selection keeps its old record (a full refresh next time
        # if its definition changed).
        built = _built_models(settings)
        recorded.update({uid: digest for uid, digest in fingerprints.items() if uid in built})
        _write_state(
            paths,
            {
                "incremental_models": recorded,
                "published_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                "full_refresh_reason": reason,
                "dbt_command": list(outcome.command),
            },
        )
    return outcome


# --- documentation -----------------------------------------------------------------------


def docs_dir(settings: Settings) -> Path:
    """Where :func:`generate_docs` writes ``index.html`` (and dbt's docs artefacts)."""
    return settings.home / "var" / "dbt_docs"


def generate_docs(settings: Settings, *, lock_wait_seconds: float = 3600.0) -> Path:
    """``dbt docs generate --static``: one self-contained HTML file; returns its path.

    dbt reads the catalog (column types, row counts) from a warehouse: a copy of the
    analysts' snapshot (of the warehouse itself before the first atomic build; an empty one
    before any build) made as the building file under the build lock, so it never locks a
    file someone else uses and reuses the builds' partial parse (same profile path). Its
    artefacts go to their own target folder, leaving the last build's untouched. Raises
    :class:`DbtBuildError` when dbt fails.
    """
    paths = publish_paths(settings)
    folder = docs_dir(settings)
    target = folder / "target"
    target.mkdir(parents=True, exist_ok=True)
    partial_parse = settings.dbt_target_dir / "partial_parse.msgpack"
    if partial_parse.exists():  # a cold parse of the project costs ~8 s of CPU
        shutil.copyfile(partial_parse, target / partial_parse.name)
    with build_lock(paths.lock, lock_wait_seconds):
        _discard(paths.building, paths.snapshot_partial)
        source = next((p for p in (paths.snapshot, paths.live) if p.exists()), None)
        try:
            if source is not None:
                with open_warehouse(source, read_only=True):  # no writer while copying
                    shutil.copyfile(source, paths.building)
            _checkpoint(paths.building, landing=True)
            outcome = run_dbt(
                ["docs", "generate", "--static"],
                settings,
                warehouse_path=paths.building,
                target_dir=target,
            )
        finally:
            _discard(paths.building)
    if not outcome.success:
        raise DbtBuildError(outcome)
    index = folder / "index.html"
    partial = index.with_name(index.name + ".partial")
    shutil.copyfile(target / "static_index.html", partial)
    partial.replace(index)
    return index
