"""The dbt documentation site: ``dbt docs generate --static``, as one HTML file."""

from __future__ import annotations

import shutil
from pathlib import Path

from tpn_metrics.dbt_runner import DbtBuildError, run_dbt
from tpn_metrics.settings import Settings
from tpn_metrics.warehouse import open_warehouse
from tpn_metrics.warehouse_swap import build_lock, build_paths, checkpoint, discard


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
    paths = build_paths(settings)
    folder = docs_dir(settings)
    target = folder / "target"
    target.mkdir(parents=True, exist_ok=True)
    partial_parse = settings.dbt_target_dir / "partial_parse.msgpack"
    if partial_parse.exists():  # a cold parse of the project costs ~8 s of CPU
        shutil.copyfile(partial_parse, target / partial_parse.name)
    with build_lock(paths.lock, lock_wait_seconds):
        discard(paths.building, paths.snapshot_partial)
        source = next((p for p in (paths.snapshot, paths.live) if p.exists()), None)
        try:
            if source is not None:
                with open_warehouse(source, read_only=True):  # no writer while copying
                    shutil.copyfile(source, paths.building)
            checkpoint(paths.building, landing=True)
            outcome = run_dbt(
                ["docs", "generate", "--static"],
                settings,
                warehouse_path=paths.building,
                target_dir=target,
            )
        finally:
            discard(paths.building)
    if not outcome.success:
        raise DbtBuildError(outcome)
    index = folder / "index.html"
    partial = index.with_name(index.name + ".partial")
    shutil.copyfile(target / "static_index.html", partial)
    partial.replace(index)
    return index
