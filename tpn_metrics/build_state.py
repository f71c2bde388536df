"""What the last build recorded: definition fingerprints of the incremental marts.

An incremental mart writes only the weeks whose data changed, so a change of its SQL, of a
macro, seed or var it depends on would otherwise reach only new weeks. The fingerprint hashes
what dbt's manifest says each incremental model depends on (node checksums and configs,
contracts, macro SQL, seed file checksums) and the project's vars; when it differs from the
one recorded in ``tpn.build-state.json`` (or nothing is recorded) the build is a full refresh.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

from tpn_metrics.settings import Settings
from tpn_metrics.warehouse_swap import BuildPaths


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


def read_state(paths: BuildPaths) -> dict[str, Any]:
    """The recorded build state (``tpn.build-state.json``); {} when missing or unreadable."""
    try:
        state = json.loads(paths.state.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return state if isinstance(state, dict) else {}


def write_state(paths: BuildPaths, state: Mapping[str, Any]) -> None:
    """Replace the recorded build state atomically (a partial file, then a rename)."""
    partial = paths.state.with_name(paths.state.name + ".partial")
    partial.write_text(json.dumps(state, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    partial.replace(paths.state)


def full_refresh_reason(recorded: Mapping[str, str], current: Mapping[str, str]) -> str | None:
    """Why the incremental marts must be rebuilt from scratch, or None."""
    if not recorded:
        return "no record of the definitions that built the incremental marts"
    changed = sorted(uid for uid, digest in current.items() if recorded.get(uid) != digest)
    if changed:
        return "definition changed: " + ", ".join(uid.split(".")[-1] for uid in changed)
    return None


def built_models(settings: Settings) -> set[str]:
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
