"""The project's conventions, checked over dbt's manifest: an offline dbt-project-evaluator.

dbt-project-evaluator is a dbt package from the hub, which is not reachable here, so these
are its rules that matter to us (and /work/shared/style.md's), as Python over the manifest
of ``dbt compile --select staging`` (the whole project parsed, staging compiled):

- every model has a description that states its grain;
- every model's key is tested: ``unique`` + ``not_null`` on one column, or
  ``unique_combination_of_columns``;
- only staging models use ``source()``; none mixes sources and refs;
- staging models neither join nor aggregate (no ``join`` / ``group by`` compiled);
- every mart that Python reads (``marts.<name>`` in tpn_metrics/, or an exposure's
  dependency) has an enforced contract with a data_type on every column;
- names match folders: ``stg_<source>__<entity>`` in staging/, ``int_`` in intermediate/,
  ``fct_`` / ``dim_`` in marts/;
- no hard-coded relation (``from marts.x``) in model SQL;
- every source table is documented; exposures exist and name an owner and dependencies.

Justified exceptions live in dbt_project/evaluator_exceptions.yml, each with its reason.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tpn_metrics.dbt_runner import run_dbt
from tpn_metrics.settings import PROJECT_ROOT, Settings
from tpn_metrics.warehouse import ensure_landing_schema, open_warehouse

pytestmark = pytest.mark.slow

EXCEPTIONS_FILE = PROJECT_ROOT / "dbt_project" / "evaluator_exceptions.yml"
LAYER_PREFIXES = {"staging": ("stg_",), "intermediate": ("int_",), "marts": ("fct_", "dim_")}
SCHEMAS = ("landing", "staging", "intermediate", "marts", "reference", "evaluation", "ops")
HARD_CODED = re.compile(rf"\b(?:from|join)\s+(?:{'|'.join(SCHEMAS)})\.\w+", re.IGNORECASE)
PYTHON_READS = re.compile(r"\bmarts\.(\w+)")
STAGING_FORBIDDEN = (("join", r"\bjoin\b"), ("group by", r"\bgroup\s+by\b"))


@pytest.fixture(scope="module")
def manifest(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    settings = Settings(home=tmp_path_factory.mktemp("conventions"))
    with open_warehouse(settings.warehouse_path) as con:
        ensure_landing_schema(con)
    outcome = run_dbt(["compile", "--select", "staging"], settings)
    assert outcome.success, outcome.describe_failures()
    return json.loads((settings.dbt_target_dir / "manifest.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def exceptions() -> list[dict[str, str]]:
    entries = yaml.safe_load(EXCEPTIONS_FILE.read_text(encoding="utf-8"))["exceptions"] or []
    for entry in entries:
        assert set(entry) == {"check", "node", "reason"}, entry
        assert entry["reason"].strip(), f"an exception needs its reason: {entry}"
    return entries


def models(manifest: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for node in manifest["nodes"].values():
        if node["resource_type"] == "model" and node["package_name"] == "tpn":
            yield node


def layer(node: dict[str, Any]) -> str:
    return Path(node["original_file_path"]).parts[1]  # models/<layer>/...


def data_tests_on(manifest: dict[str, Any], model_id: str) -> list[dict[str, Any]]:
    return [
        node
        for node in manifest["nodes"].values()
        if node["resource_type"] == "test" and node.get("attached_node") == model_id
    ]


def sql_without_comments(sql: str) -> str:
    sql = re.sub(r"/\*.*?\*/", " ", sql, flags=re.DOTALL)
    return re.sub(r"--[^\n]*", " ", sql)


def check(name: str, violations: dict[str, str], exceptions: list[dict[str, str]]) -> None:
    """Fail on every violation not excused, and on every excuse without a violation."""
    excused = {entry["node"] for entry in exceptions if entry["check"] == name}
    unexcused = {node: why for node, why in violations.items() if node not in excused}
    stale = excused - set(violations)
    assert not unexcused, f"{name}: " + "; ".join(f"{n}: {w}" for n, w in unexcused.items())
    assert not stale, f"{name}: exceptions that no longer apply, remove them: {sorted(stale)}"


def test_the_project_has_models_in_every_layer(manifest: dict[str, Any]) -> None:
    assert {layer(node) for node in models(manifest)} == set(LAYER_PREFIXES)


def test_every_model_is_documented_with_its_grain(
    manifest: dict[str, Any], exceptions: list[dict[str, str]]
) -> None:
    undocumented, no_grain = {}, {}
    for node in models(manifest):
        description = node["description"].strip()
        if not description:
            undocumented[node["name"]] = "no description"
        elif "grain" not in description.lower():
            no_grain[node["name"]] = "the description does not state the grain"
    check("undocumented_models", undocumented, exceptions)
    check("missing_grain", no_grain, exceptions)


def test_every_model_has_its_key_tested(
    manifest: dict[str, Any], exceptions: list[dict[str, str]]
) -> None:
    violations = {}
    for node in models(manifest):
        tests = data_tests_on(manifest, node["unique_id"])
        kinds: dict[str, set[str | None]] = {}
        for test in tests:
            name = (test.get("test_metadata") or {}).get("name")
            kinds.setdefault(name, set()).add(test.get("column_name"))
        unique_columns = kinds.get("unique", set()) & kinds.get("not_null", set())
        if not unique_columns and "unique_combination_of_columns" not in kinds:
            violations[node["name"]] = (
                "no unique + not_null column, no unique_combination_of_columns"
            )
    check("missing_primary_key_tests", violations, exceptions)


def test_only_staging_reads_sources_and_no_model_mixes_sources_and_refs(
    manifest: dict[str, Any], exceptions: list[dict[str, str]]
) -> None:
    outside, mixed = {}, {}
    for node in models(manifest):
        parents = node["depends_on"]["nodes"]
        sources = [p for p in parents if p.startswith("source.")]
        refs = [p for p in parents if p.startswith(("model.", "seed.", "snapshot."))]
        if sources and layer(node) != "staging":
            outside[node["name"]] = f"source() outside staging: {sources}"
        if sources and refs:
            mixed[node["name"]] = f"sources {sources} and refs {refs}"
    check("source_outside_staging", outside, exceptions)
    check("sources_and_refs_mixed", mixed, exceptions)


def test_staging_models_neither_join_nor_aggregate(
    manifest: dict[str, Any], exceptions: list[dict[str, str]]
) -> None:
    violations = {}
    staging = [node for node in models(manifest) if layer(node) == "staging"]
    assert staging
    for node in staging:
        compiled = node.get("compiled_code")
        assert compiled, f"{node['name']} was not compiled"
        sql = sql_without_comments(compiled).lower()
        found = [label for label, pattern in STAGING_FORBIDDEN if re.search(pattern, sql)]
        if found:
            violations[node["name"]] = f"compiled SQL has {found}"
    check("staging_joins_or_aggregates", violations, exceptions)


def test_marts_read_by_python_have_enforced_contracts(
    manifest: dict[str, Any], exceptions: list[dict[str, str]]
) -> None:
    read_by_python = {
        match
        for path in (PROJECT_ROOT / "tpn_metrics").rglob("*.py")
        for match in PYTHON_READS.findall(path.read_text(encoding="utf-8"))
    }
    for exposure in manifest["exposures"].values():
        read_by_python |= {p.split(".")[-1] for p in exposure["depends_on"]["nodes"]}
    marts = {node["name"]: node for node in models(manifest) if layer(node) == "marts"}
    assert read_by_python & set(marts), "found no mart that Python reads"
    violations = {}
    for name in sorted(read_by_python):
        node = marts.get(name)
        if node is None:
            violations[name] = f"Python reads marts.{name}, which no dbt model builds"
            continue
        if not node["config"]["contract"]["enforced"]:
            violations[name] = "read by Python without an enforced contract"
        elif untyped := [c for c, column in node["columns"].items() if not column["data_type"]]:
            violations[name] = f"columns without a data_type: {untyped}"
    check("uncontracted_marts_read_by_python", violations, exceptions)


def test_names_match_their_folders(
    manifest: dict[str, Any], exceptions: list[dict[str, str]]
) -> None:
    violations = {}
    for node in models(manifest):
        name, folder = node["name"], layer(node)
        prefixes = LAYER_PREFIXES.get(folder)
        if prefixes is None:
            violations[name] = f"in models/{folder}/, not a layer folder"
        elif not name.startswith(prefixes):
            violations[name] = f"in {folder}/ but not named {' or '.join(prefixes)}*"
        elif folder == "staging" and not re.fullmatch(r"stg_[a-z0-9_]+__[a-z0-9_]+", name):
            violations[name] = "staging models are named stg_<source>__<entity>s"
        elif node["config"]["schema"] != folder:
            violations[name] = f"in {folder}/ but built in schema {node['config']['schema']}"
    check("naming_conventions", violations, exceptions)


def test_no_hard_coded_relations(
    manifest: dict[str, Any], exceptions: list[dict[str, str]]
) -> None:
    violations = {}
    for node in models(manifest):
        found = HARD_CODED.findall(sql_without_comments(node["raw_code"]))
        if found:
            violations[node["name"]] = f"use ref() / source(), not {found}"
    check("hard_coded_references", violations, exceptions)


def test_sources_are_documented(manifest: dict[str, Any], exceptions: list[dict[str, str]]) -> None:
    violations = {
        f"{source['source_name']}.{source['name']}": "no description"
        for source in manifest["sources"].values()
        if not source["description"].strip()
    }
    check("undocumented_source_tables", violations, exceptions)


def test_exposures_name_their_owner_and_dependencies(
    manifest: dict[str, Any], exceptions: list[dict[str, str]]
) -> None:
    exposures = list(manifest["exposures"].values())
    assert exposures, "no exposure: declare what reads the marts in models/_exposures.yml"
    violations = {}
    for exposure in exposures:
        if not exposure["depends_on"]["nodes"]:
            violations[exposure["name"]] = "depends on nothing"
        elif not (exposure.get("owner") or {}).get("name"):
            violations[exposure["name"]] = "no owner"
    check("exposures", violations, exceptions)


def test_every_exception_names_a_known_check(exceptions: list[dict[str, str]]) -> None:
    known = {
        "undocumented_models",
        "missing_grain",
        "missing_primary_key_tests",
        "source_outside_staging",
        "sources_and_refs_mixed",
        "staging_joins_or_aggregates",
        "uncontracted_marts_read_by_python",
        "naming_conventions",
        "hard_coded_references",
        "undocumented_source_tables",
        "exposures",
    }
    assert {entry["check"] for entry in exceptions} <= known
