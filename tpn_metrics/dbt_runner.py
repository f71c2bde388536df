"""Run the dbt project (dbt_project/) in-process against the warehouse of a :class:`Settings`.

No Prefect here: the pipeline builds through
:func:`tpn_metrics.warehouse_build.build_atomically`, tests and debugging through
:func:`dbt_build_in_place` (or :func:`run_dbt`), and decide what to do with the outcome. dbt
reads the warehouse path from ``TPN_WAREHOUSE_PATH`` (see ``dbt_project/profiles.yml``); it is
set from ``settings.warehouse_path`` for the duration of the call only, with anonymous usage
stats off. dbt's artefacts go to ``settings.dbt_target_dir`` and its logs to
``<home>/var/dbt_logs``, so runs on different homes (tests, benchmarks) never share them.

DuckDB allows one writing process per file: close every connection to the warehouse before
calling dbt.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import sys
import time
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from dbt.adapters.duckdb.connections import DuckDBConnectionManager
from dbt.cli.main import dbtRunner

from tpn_metrics.settings import Settings
from tpn_metrics.tool_environment import dbt_invocation_environment
from tpn_metrics.warehouse import ensure_landing_schema, open_warehouse

#: Node statuses that make a run unsuccessful ("warn" and "skipped" do not by themselves;
#: a node skipped because an upstream failed is reported through that upstream).
FAILED_STATUSES = frozenset({"error", "fail", "runtime error"})


@dataclass(frozen=True)
class FailedNode:
    """A dbt node (model, seed, test, unit test) that errored or failed."""

    name: str
    unique_id: str
    status: str
    message: str


@dataclass(frozen=True)
class DbtRunOutcome:
    """What one dbt invocation did."""

    command: tuple[str, ...]
    success: bool
    failed_nodes: tuple[FailedNode, ...]
    status_counts: Mapping[str, int]
    elapsed_seconds: float
    #: An error that stopped dbt before or outside any node (bad project, unreadable profile).
    error: str | None = None
    skipped_nodes: tuple[str, ...] = field(default=())

    @property
    def failed_node_names(self) -> tuple[str, ...]:
        """Names of the failed nodes, in dbt's order."""
        return tuple(node.name for node in self.failed_nodes)

    def describe_failures(self) -> str:
        """One line per failed node (and the run-level error), for logs and exceptions."""
        lines = [f"{node.name} [{node.status}]: {node.message}" for node in self.failed_nodes]
        if self.error:
            lines.append(f"dbt error: {self.error}")
        if self.skipped_nodes:
            lines.append(f"skipped because of the above: {', '.join(self.skipped_nodes)}")
        return "\n".join(lines)


@dataclass(frozen=True)
class ParsedProject:
    """What :func:`parse_project` returns: the parse's outcome, dbt's ``Manifest`` object
    (typed Any: dbt's own class) and the same manifest as ``manifest.json``'s dict."""

    outcome: DbtRunOutcome
    manifest: Any
    manifest_json: Mapping[str, Any]


class DbtBuildError(RuntimeError):
    """dbt build did not succeed: a model, contract, seed or test failed."""

    def __init__(self, outcome: DbtRunOutcome) -> None:
        self.outcome = outcome
        names = ", ".join(outcome.failed_node_names) or "no node (dbt itself failed)"
        super().__init__(
            f"dbt {' '.join(outcome.command[:1])} failed: {names}\n{outcome.describe_failures()}"
        )


def dbt_log_dir(settings: Settings) -> Path:
    """Where dbt writes its logs: ``<home>/var/dbt_logs``."""
    return settings.home / "var" / "dbt_logs"


#: CPython 3.11.0-3.11.7 and 3.12.0-3.12.1 count the depth of ``ast`` conversions in one
#: counter per interpreter, not per thread (CPython gh-106905, fixed in 3.11.8 and 3.12.2):
#: Jinja (``literal_eval`` in its lexer and native rendering) compiling in two of dbt's threads
#: at once may fail with "SystemError: AST constructor recursion depth mismatch". On those
#: interpreters dbt runs one thread unless ``TPN_DBT_THREADS`` says otherwise.
SHARED_AST_DEPTH_COUNTER = (3, 11) <= sys.version_info[:3] < (3, 11, 8) or (
    (3, 12) <= sys.version_info[:3] < (3, 12, 2)
)


def dbt_threads(settings: Settings) -> int | None:
    """dbt's ``--threads``: ``TPN_DBT_THREADS``; else 1 where the interpreter's ``ast`` depth
    counter is shared between threads (:data:`SHARED_AST_DEPTH_COUNTER`); else None (the
    profile's ``threads``)."""
    if settings.dbt_threads is not None:
        return settings.dbt_threads
    return 1 if SHARED_AST_DEPTH_COUNTER else None


def dbt_arguments(
    args: Sequence[str], settings: Settings, *, target_dir: Path | None = None
) -> list[str]:
    """The full argument list: the command and its options, then our project and paths."""
    threads = dbt_threads(settings)
    return [
        *args,
        *(["--threads", str(threads)] if threads is not None else []),
        "--project-dir",
        str(settings.dbt_project_dir),
        "--profiles-dir",
        str(settings.dbt_project_dir),
        "--target-path",
        str(target_dir or settings.dbt_target_dir),
        "--log-path",
        str(dbt_log_dir(settings)),
        # The file keeps every node's line; the console (and so the flow's log) only what
        # needs a person: a Friday build is ~200 nodes.
        "--log-level",
        settings.dbt_log_level,
        "--log-level-file",
        "info",
    ]


def _text(value: object) -> str:
    return "" if value is None else str(value)


def _node_message(node_result: Any) -> str:
    message = _text(getattr(node_result, "message", None)).strip()
    age_seconds = getattr(node_result, "age", None)  # source freshness results
    if not message and isinstance(age_seconds, int | float):
        message = (
            f"last loaded {getattr(node_result, 'max_loaded_at', '?')}, "
            f"{age_seconds / 86_400:.1f} days ago"
        )
    return message


def summarise_result(
    command: Sequence[str],
    success: bool,
    result: Any,
    exception: BaseException | None,
    elapsed_seconds: float,
) -> DbtRunOutcome:
    """Turn a ``dbtRunnerResult``'s parts into a :class:`DbtRunOutcome`.

    ``result`` is a ``RunExecutionResult`` for build/run/seed/test (anything else, e.g. a parse
    manifest, has no node results).
    """
    node_results = list(getattr(result, "results", None) or [])
    counts: Counter[str] = Counter()
    failed: list[FailedNode] = []
    skipped: list[str] = []
    for node_result in node_results:
        status = _text(getattr(node_result.status, "value", node_result.status))
        counts[status] += 1
        node = getattr(node_result, "node", None)
        name = _text(getattr(node, "name", None)) or "?"
        if status in FAILED_STATUSES:
            failed.append(
                FailedNode(
                    name=name,
                    unique_id=_text(getattr(node, "unique_id", None)),
                    status=status,
                    message=_node_message(node_result),
                )
            )
        elif status == "skipped":
            skipped.append(name)
    error = None if exception is None else f"{type(exception).__name__}: {exception}"
    return DbtRunOutcome(
        command=tuple(command),
        success=bool(success) and not failed and exception is None,
        failed_nodes=tuple(failed),
        status_counts=MappingProxyType(dict(sorted(counts.items()))),
        elapsed_seconds=elapsed_seconds,
        error=error,
        skipped_nodes=tuple(skipped),
    )


def _release_warehouse() -> None:
    """Close the DuckDB database that dbt-duckdb keeps open in this process after a run.

    dbt-duckdb caches its connection environment on a class attribute for the life of the
    process, which holds the warehouse file: any later ``duckdb.connect`` from this process
    with another configuration (e.g. ``read_only=True``) fails, and the file stays locked
    against other processes. There is no public API for this (dbt-duckdb 1.11), hence the
    private attributes; if they change, the release silently becomes a no-op.
    """
    lock = getattr(DuckDBConnectionManager, "_LOCK", None)
    if lock is None:
        return
    with lock:
        environment = getattr(DuckDBConnectionManager, "_ENV", None)
        if environment is not None:
            environment.close()
        # dbt-duckdb does not annotate this classmethod.
        DuckDBConnectionManager.close_all_connections()  # type: ignore[no-untyped-call]


def run_dbt(
    args: Sequence[str],
    settings: Settings,
    *,
    warehouse_path: Path | None = None,
    target_dir: Path | None = None,
    manifest: Any = None,
) -> DbtRunOutcome:
    """Run one dbt command (e.g. ``["build", "--select", "marts"]``) in-process.

    ``warehouse_path`` points dbt at another DuckDB file than ``settings.warehouse_path``
    (the copy that :mod:`tpn_metrics.warehouse_build` builds); ``target_dir`` sends its
    artefacts elsewhere than ``settings.dbt_target_dir``; ``manifest``, a dbt ``Manifest``
    from :func:`parse_project` of the same project and warehouse path, spares dbt parsing
    again. Never raises for a dbt failure: inspect ``outcome.success``
    (``dbt_build_in_place`` raises).
    """
    return _invoke(args, settings, warehouse_path, target_dir, manifest)[0]


def parse_project(settings: Settings, *, warehouse_path: Path | None = None) -> ParsedProject:
    """``dbt parse`` (partial parsing when the project, vars and profile path are those of
    the last invocation on this home); the manifest both as dbt's object, for
    :func:`run_dbt`'s ``manifest``, and as ``manifest.json``'s dict. Raises
    :class:`DbtBuildError` when the project does not parse.
    """
    outcome, manifest = _invoke(["parse"], settings, warehouse_path, None, None)
    if not outcome.success or manifest is None:
        raise DbtBuildError(outcome)
    as_json = json.loads((settings.dbt_target_dir / "manifest.json").read_text("utf-8"))
    return ParsedProject(outcome, manifest, as_json)


@contextmanager
def partial_parse_kept_for(target: Path, warehouse: Path) -> Iterator[None]:
    """Keep dbt's partial parsing (``<target>/partial_parse.msgpack``) per warehouse file.

    dbt re-parses the whole project (~8 s of CPU) when the profile changed since the saved
    parse, and the profile's ``path`` is the warehouse file: an invocation on the live file
    (an in-place build, ``tpn`` debugging, a benchmark's ``dbt parse``) would otherwise cost
    the next atomic build, on ``tpn.building.duckdb``, a full parse. So the saved parse is
    kept aside per file (``<target>/partial_parse/<sha256 of the path>.msgpack``) and put
    back before an invocation on that file. dbt itself still checks every file's hash.
    """
    kept_dir = target / "partial_parse"
    current = target / "partial_parse.msgpack"
    kept = kept_dir / f"{hashlib.sha256(str(warehouse).encode()).hexdigest()[:16]}.msgpack"
    made_for = kept_dir / "current.path"
    try:
        previous = made_for.read_text(encoding="utf-8")
    except OSError:
        previous = None
    if previous != str(warehouse) and kept.exists():
        shutil.copyfile(kept, current)
    try:
        yield
    finally:
        if current.exists():
            kept_dir.mkdir(exist_ok=True)
            shutil.copyfile(current, kept)
            made_for.write_text(str(warehouse), encoding="utf-8")


def _invoke(
    args: Sequence[str],
    settings: Settings,
    warehouse_path: Path | None,
    target_dir: Path | None,
    manifest: Any,
) -> tuple[DbtRunOutcome, Any]:
    target = target_dir or settings.dbt_target_dir
    dbt_log_dir(settings).mkdir(parents=True, exist_ok=True)
    target.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    warehouse = warehouse_path or settings.warehouse_path
    with dbt_invocation_environment(warehouse), partial_parse_kept_for(target, warehouse):
        try:
            runner = dbtRunner(manifest=manifest)
            runner_result = runner.invoke(dbt_arguments(args, settings, target_dir=target))
        finally:
            _release_warehouse()
    outcome = summarise_result(
        command=args,
        success=runner_result.success,
        result=runner_result.result,
        exception=runner_result.exception,
        elapsed_seconds=time.monotonic() - started,
    )
    return outcome, runner_result.result


def build_arguments(
    select: str | Sequence[str] | None = None,
    *,
    full_refresh: bool = False,
    indirect_selection: str | None = None,
    exclude_resource_types: Sequence[str] = (),
) -> list[str]:
    """``dbt build`` with a selection (str or list of str), ``--full-refresh``,
    ``--indirect-selection`` (e.g. ``buildable``: only the tests whose every parent is built)
    and ``--exclude-resource-type`` (e.g. ``unit_test``).
    """
    args = ["build"]
    if select is not None:
        selectors = [select] if isinstance(select, str) else list(select)
        args += ["--select", *selectors]
    if indirect_selection is not None:
        args += ["--indirect-selection", indirect_selection]
    for resource_type in exclude_resource_types:
        args += ["--exclude-resource-type", resource_type]
    if full_refresh:
        args.append("--full-refresh")
    return args


def dbt_build_in_place(
    settings: Settings,
    select: str | Sequence[str] | None = None,
    *,
    full_refresh: bool = False,
) -> DbtRunOutcome:
    """``dbt build`` (seeds, models, snapshots, data and unit tests, in DAG order), in place.

    Makes sure the landing schema exists first (dbt's sources read it; an empty warehouse
    builds empty marts). Raises :class:`DbtBuildError`, naming the failed nodes, when any node
    errors or fails: a failing contract or test stops the run before metrics or emails.
    ``full_refresh`` rebuilds the incremental marts from scratch. This builds the warehouse
    file in place, so a failed build leaves it half built: the pipeline publishes through
    :func:`tpn_metrics.warehouse_build.build_atomically` instead.
    """
    with open_warehouse(settings.warehouse_path) as con:
        ensure_landing_schema(con)
    outcome = run_dbt(build_arguments(select, full_refresh=full_refresh), settings)
    if not outcome.success:
        raise DbtBuildError(outcome)
    return outcome
