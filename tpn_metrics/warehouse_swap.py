"""Swap a newly built warehouse file into place, atomically (design: docs/warehouse.md).

The build runs on a copy (``tpn.building.duckdb``) beside the warehouse. :func:`copy_warehouse`
makes that copy while no other process can write; :func:`swap_in` renames it over
``tpn.duckdb`` (``rename(2)``: atomic on POSIX; readers holding the old file keep reading the
old inode) if nobody wrote to the warehouse since the copy, and refreshes the analysts'
snapshot ``tpn.readonly.duckdb`` the same way. :func:`build_lock` keeps two builds from racing.
Not to be confused with :mod:`tpn_metrics.publish`, which copies marts to PostgreSQL.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tpn_metrics.settings import Settings
from tpn_metrics.warehouse import ensure_landing_schema, open_warehouse

#: Attempts at a consistent copy of the warehouse before giving up.
COPY_ATTEMPTS = 3


class SwapError(RuntimeError):
    """The built file could not be swapped in; the previous warehouse is unchanged."""


class BuildLockedError(SwapError):
    """Another build holds ``warehouse/.build.lock``."""


class ConcurrentWriteError(SwapError):
    """Another process wrote to the warehouse during the build: swapping in would lose it."""


@dataclass(frozen=True)
class BuildPaths:
    """The files of an atomic build, all beside the warehouse (one file system)."""

    live: Path
    building: Path
    snapshot: Path
    lock: Path
    state: Path

    @property
    def live_wal(self) -> Path:
        """The live warehouse's write-ahead log (``tpn.duckdb.wal``)."""
        return wal_path(self.live)

    @property
    def snapshot_partial(self) -> Path:
        """Where the snapshot is copied before its rename into place."""
        return self.snapshot.with_name(self.snapshot.name + ".partial")


def build_paths(settings: Settings) -> BuildPaths:
    """``tpn.duckdb`` → ``tpn.building.duckdb``, ``tpn.readonly.duckdb``, ``.build.lock``,
    ``tpn.build-state.json``. Every copy keeps the stem before the first dot, which DuckDB and
    dbt-duckdb use as the catalog name: each file opens as catalog ``tpn``.
    """
    live = settings.warehouse_path
    stem = live.name.split(".")[0]
    folder = live.parent
    return BuildPaths(
        live=live,
        building=folder / f"{stem}.building.duckdb",
        snapshot=folder / f"{stem}.readonly.duckdb",
        lock=folder / ".build.lock",
        state=folder / f"{stem}.build-state.json",
    )


def wal_path(path: Path) -> Path:
    """DuckDB's write-ahead log beside ``path`` (``<name>.wal``)."""
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
    """Inode, size, modification time (ns) and WAL presence of ``path``."""
    status = path.stat()
    return FileSignature(status.st_ino, status.st_size, status.st_mtime_ns, wal_path(path).exists())


def discard(*paths: Path) -> None:
    """Delete each file and its write-ahead log, if present."""
    for path in paths:
        path.unlink(missing_ok=True)
        wal_path(path).unlink(missing_ok=True)


def fsync(path: Path) -> None:
    """Flush a file (or a folder's entries, after a rename) to the disk."""
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def checkpoint(path: Path, *, landing: bool = False) -> None:
    """Write everything into the file itself (no WAL beside it), creating it if needed."""
    with open_warehouse(path) as con:
        if landing:
            ensure_landing_schema(con)
        con.execute("checkpoint")


def copy_warehouse(paths: BuildPaths) -> FileSignature:
    """Copy the checkpointed warehouse to the building file; returns the signature to check
    before publishing. Holds a read-only connection while copying: other processes cannot
    write meanwhile (DuckDB: one writer, and not while anyone else has the file open).
    """
    for _attempt in range(COPY_ATTEMPTS):
        checkpoint(paths.live, landing=True)  # waits while another process writes
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


def swap_in(paths: BuildPaths, signature: FileSignature) -> None:
    """Replace the warehouse with the building file, if nobody wrote to it since the copy,
    then the analysts' snapshot with a copy of it.

    Raises :class:`SwapError` when the building file keeps a write-ahead log after its
    checkpoint, :class:`ConcurrentWriteError` when the warehouse changed since ``signature``.
    """
    checkpoint(paths.building)
    if wal_path(paths.building).exists():
        raise SwapError(f"{paths.building} still has a write-ahead log after a checkpoint")
    fsync(paths.building)  # its bytes are on the disk before its name is
    shutil.copyfile(paths.building, paths.snapshot_partial)
    with open_warehouse(paths.live, read_only=True):  # no other writer until the rename
        if file_signature(paths.live) != signature:
            raise ConcurrentWriteError(
                f"{paths.live} was written by another process during the build; nothing "
                "was published (those writes are kept): run the build again"
            )
        paths.building.replace(paths.live)  # rename(2): atomic
        fsync(paths.live.parent)
    paths.snapshot_partial.replace(paths.snapshot)
