"""Which nodes a Friday build must run: what the changed data reaches, nothing else.

A mart is a function of its definition and of the data it reads. When no definition changed
since the last published build (:func:`project_fingerprint`, over every node, unit test,
source declaration, macro and var of dbt's manifest, and dbt's version), a node whose sources
hold the same rows as then (:func:`source_signatures`) would be rebuilt to the same table. So
the build selects only ``source:<changed>+`` and the nodes that read the clock
(:func:`volatile_models`, e.g. ``current_date``) with what is downstream of them, and leaves
the unit tests out: they test definitions, which did not change. Anything else (first build,
a definition changed, nothing recorded) is a full build, as before. The decision is
:func:`plan_selection`; :mod:`tpn_metrics.warehouse_build` records what it needs in
``tpn.build-state.json``. Design: docs/warehouse.md ("Selective Friday builds").
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import duckdb
from dbt.version import __version__ as DBT_VERSION

#: Manifest fields that vary between two parses of the same files (timestamps, compiled
#: output, paths of compiled files): left out of the definition fingerprint.
VOLATILE_FIELDS = frozenset(
    {
        "created_at",
        "build_path",
        "compiled_path",
        "compiled_code",
        "compiled",
        "extra_ctes",
        "extra_ctes_injected",
    }
)

#: SQL that makes a model's result depend on when (or how often) it is built, not only on
#: its inputs: such a model is rebuilt by every build.
CLOCK_OR_CHANCE = re.compile(
    r"\b(current_date|current_time|current_timestamp|now\s*\(|today\s*\(|get_current_time"
    r"|localtimestamp|random\s*\(|gen_random_uuid|uuid\s*\()",
    re.IGNORECASE,
)

#: The manifest sections whose entries define what a build writes and checks.
DEFINITION_SECTIONS = ("nodes", "unit_tests", "sources", "macros", "exposures")


@dataclass(frozen=True)
class SelectionPlan:
    """What to build: ``select`` (dbt selectors, None for everything), ``exclude_unit_tests``,
    and ``reason``, one line for the log and the state file."""

    select: tuple[str, ...] | None
    exclude_unit_tests: bool
    reason: str

    @property
    def is_full(self) -> bool:
        """True when every node runs."""
        return self.select is None

    @property
    def is_empty(self) -> bool:
        """True when nothing changed: no node needs to run."""
        return self.select == ()


def _definition(entry: Mapping[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in entry.items() if key not in VOLATILE_FIELDS}


def project_fingerprint(manifest: Mapping[str, Any], project_vars: Mapping[str, Any]) -> str:
    """SHA-256 (hex) of every definition in a parsed manifest (``manifest.json``'s dict):
    nodes (models, seeds with their file checksums, data tests), unit tests, source
    declarations, macros, exposures, the project's vars and dbt's version. Two parses of the
    same files give the same value, whether full or partial.
    """
    digest = hashlib.sha256(f"dbt {DBT_VERSION}\n".encode())
    digest.update(json.dumps(project_vars, sort_keys=True, default=str).encode())
    for section in DEFINITION_SECTIONS:
        entries: Mapping[str, Any] = manifest.get(section) or {}
        for unique_id in sorted(entries):
            text = json.dumps(_definition(entries[unique_id]), sort_keys=True, default=str)
            digest.update(f"\n{section}:{unique_id}\n{text}".encode())
    return digest.hexdigest()


def source_signatures(
    con: duckdb.DuckDBPyConnection, manifest: Mapping[str, Any]
) -> dict[str, str]:
    """unique_id of each declared source → a signature of its table's content: its columns
    and types, its row count and the sum of its rows' hashes (order-free; a table that does
    not exist is ``"missing"``). Equal signatures: the same rows, as far as a 64-bit hash per
    row can tell. Reads every row once (DuckDB's ``hash``, in parallel).
    """
    signatures = {}
    for unique_id, source in sorted((manifest.get("sources") or {}).items()):
        schema, table = source["schema"], source["identifier"]
        columns = con.execute(
            "select string_agg(column_name || ' ' || data_type, ', ' order by column_index) "
            "from duckdb_columns() where schema_name = ? and table_name = ? "
            "and database_name = current_database()",
            [schema, table],
        ).fetchone()
        if columns is None or columns[0] is None:
            signatures[unique_id] = "missing"
            continue
        quoted = f'"{schema}"."{table}"'
        row = con.execute(
            f"select count(*), coalesce(sum(hash(source_row)::hugeint), 0) "
            f"from {quoted} as source_row"
        ).fetchone()
        rows, hashes = row if row is not None else (0, 0)
        signatures[unique_id] = hashlib.sha256(f"{columns[0]}|{rows}|{hashes}".encode()).hexdigest()
    return signatures


def volatile_models(manifest: Mapping[str, Any]) -> list[str]:
    """Names of the models whose SQL reads the clock or draws at random (``current_date``,
    ``now()``, ``random()``...): their table depends on the day of the build."""
    return sorted(
        node["name"]
        for node in (manifest.get("nodes") or {}).values()
        if node.get("resource_type") == "model"
        and CLOCK_OR_CHANCE.search(node.get("raw_code") or "")
    )


def _source_selector(manifest: Mapping[str, Any], unique_id: str) -> str:
    source = manifest["sources"][unique_id]
    return f"source:{source['source_name']}.{source['name']}+"


def plan_selection(
    manifest: Mapping[str, Any],
    fingerprint: str,
    sources: Mapping[str, str],
    recorded: Mapping[str, Any],
) -> SelectionPlan:
    """Full build, or only what changed data and the clock reach.

    ``fingerprint`` and ``sources`` are this build's (:func:`project_fingerprint`,
    :func:`source_signatures`); ``recorded`` is the last published build's state
    (``project_fingerprint`` and ``source_signatures`` keys, absent before the first one).
    """
    if not recorded.get("project_fingerprint") or "source_signatures" not in recorded:
        return SelectionPlan(None, False, "full build: no record of the last build's inputs")
    if recorded["project_fingerprint"] != fingerprint:
        return SelectionPlan(None, False, "full build: a definition changed since the last one")
    previous: Mapping[str, str] = recorded["source_signatures"]
    changed = [uid for uid, signature in sources.items() if previous.get(uid) != signature]
    select = [_source_selector(manifest, uid) for uid in changed]
    volatile = volatile_models(manifest)
    select += [f"{name}+" for name in volatile]
    if not changed:
        reason = "no source changed"
    else:
        reason = "sources changed: " + ", ".join(uid.split(".", 2)[-1] for uid in changed)
    if volatile:
        reason += "; rebuilt every time (reads the clock): " + ", ".join(volatile)
    return SelectionPlan(tuple(select), True, reason)
