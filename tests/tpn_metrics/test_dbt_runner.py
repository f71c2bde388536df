"""The dbt runner's own logic, with dbt replaced by a stand-in (fast: no dbt run)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from tpn_metrics import dbt_runner
from tpn_metrics.dbt_runner import (
    DbtBuildError,
    DbtRunOutcome,
    FailedNode,
    dbt_arguments,
    dbt_build_in_place,
    partial_parse_kept_for,
    run_dbt,
    summarise_result,
)
from tpn_metrics.settings import Settings


def node_result(name: str, status: str, message: str | None = None) -> SimpleNamespace:
    return SimpleNamespace(
        node=SimpleNamespace(name=name, unique_id=f"model.tpn.{name}"),
        status=SimpleNamespace(value=status),
        message=message,
    )


def test_arguments_point_dbt_at_the_project_and_the_home(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path, dbt_threads=3)
    args = dbt_arguments(["build", "--select", "marts"], settings)
    assert args[:3] == ["build", "--select", "marts"]
    options = dict(zip(args[3::2], args[4::2], strict=True))
    assert options == {
        "--threads": "3",
        "--project-dir": str(settings.dbt_project_dir),
        "--profiles-dir": str(settings.dbt_project_dir),
        "--target-path": str(tmp_path / "var" / "dbt_target"),
        "--log-path": str(tmp_path / "var" / "dbt_logs"),
        "--log-level": "warn",
        "--log-level-file": "info",
    }


@pytest.mark.parametrize("shared_counter", [True, False], ids=["cpython-3.11.7", "fixed"])
def test_threads_default_to_one_where_ast_conversion_races(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, shared_counter: bool
) -> None:
    """CPython gh-106905: below 3.11.8 (3.12.2), two dbt threads compiling Jinja at once may
    fail with "AST constructor recursion depth mismatch"; there dbt gets one thread."""
    monkeypatch.setattr(dbt_runner, "SHARED_AST_DEPTH_COUNTER", shared_counter)
    args = dbt_arguments(["build"], Settings(home=tmp_path, dbt_threads=None))
    threads = args[args.index("--threads") + 1] if "--threads" in args else None
    assert threads == ("1" if shared_counter else None)  # else the profile's threads: 2
    assert dbt_runner.dbt_threads(Settings(home=tmp_path, dbt_threads=2)) == 2


def test_summary_counts_statuses_and_names_failures() -> None:
    result = SimpleNamespace(
        results=[
            node_result("dim_district", "success", "OK"),
            node_result("not_null_dim_district_district_id", "pass"),
            node_result("unique_stg_x", "fail", "Got 2 results, configured to fail if != 0 "),
            node_result("fct_cbhi_weekly", "error", "Contract failed"),
            node_result("fct_cbhi_coverage_corrected", "skipped"),
            node_result("accepted_values_topic", "warn", "Got 1 result"),
        ]
    )
    outcome = summarise_result(["build"], False, result, None, 1.5)
    assert not outcome.success
    assert dict(outcome.status_counts) == {
        "error": 1,
        "fail": 1,
        "pass": 1,
        "skipped": 1,
        "success": 1,
        "warn": 1,
    }
    assert outcome.failed_nodes == (
        FailedNode(
            "unique_stg_x",
            "model.tpn.unique_stg_x",
            "fail",
            "Got 2 results, configured to fail if != 0",
        ),
        FailedNode("fct_cbhi_weekly", "model.tpn.fct_cbhi_weekly", "error", "Contract failed"),
    )
    assert outcome.skipped_nodes == ("fct_cbhi_coverage_corrected",)
    assert outcome.elapsed_seconds == 1.5


def test_warnings_alone_are_a_success() -> None:
    result = SimpleNamespace(results=[node_result("accepted_values_topic", "warn")])
    outcome = summarise_result(["build"], True, result, None, 0.1)
    assert outcome.success
    assert outcome.failed_nodes == ()


def test_an_exception_before_any_node_is_a_failure() -> None:
    outcome = summarise_result(["build"], False, None, ValueError("profile not found"), 0.1)
    assert not outcome.success
    assert outcome.error == "ValueError: profile not found"
    assert "dbt error: ValueError: profile not found" in str(DbtBuildError(outcome))
    assert "no node (dbt itself failed)" in str(DbtBuildError(outcome))


def test_build_error_names_the_failed_nodes() -> None:
    outcome = DbtRunOutcome(
        command=("build",),
        success=False,
        failed_nodes=(FailedNode("fct_x", "model.tpn.fct_x", "error", "boom"),),
        status_counts={"error": 1},
        elapsed_seconds=0.0,
        skipped_nodes=("fct_y",),
    )
    message = str(DbtBuildError(outcome))
    assert message.startswith("dbt build failed: fct_x")
    assert "fct_x [error]: boom" in message
    assert "skipped because of the above: fct_y" in message


@dataclass
class FakeRunner:
    """Records what dbtRunner.invoke would receive, and the environment it would see."""

    success: bool = True
    results: list[Any] = field(default_factory=list)
    calls: list[tuple[list[str], dict[str, str | None]]] = field(default_factory=list)

    manifests: list[Any] = field(default_factory=list)

    def __call__(self, manifest: Any = None) -> FakeRunner:
        self.manifests.append(manifest)
        return self

    def invoke(self, args: list[str]) -> SimpleNamespace:
        seen = {
            name: os.environ.get(name)
            for name in ("TPN_WAREHOUSE_PATH", "DBT_SEND_ANONYMOUS_USAGE_STATS")
        }
        self.calls.append((args, seen))
        return SimpleNamespace(
            success=self.success,
            result=SimpleNamespace(results=self.results),
            exception=None,
        )


def test_run_sets_the_environment_only_for_the_call(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = FakeRunner()
    monkeypatch.setattr(dbt_runner, "dbtRunner", fake)
    monkeypatch.setenv("TPN_WAREHOUSE_PATH", "/somewhere/else.duckdb")
    monkeypatch.delenv("DBT_SEND_ANONYMOUS_USAGE_STATS", raising=False)
    settings = Settings(home=tmp_path)

    outcome = run_dbt(["seed"], settings)

    assert outcome.success
    (args, seen), *_ = fake.calls
    assert args[0] == "seed"
    assert seen == {
        "TPN_WAREHOUSE_PATH": str(settings.warehouse_path),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }
    assert os.environ["TPN_WAREHOUSE_PATH"] == "/somewhere/else.duckdb"
    assert "DBT_SEND_ANONYMOUS_USAGE_STATS" not in os.environ
    assert (tmp_path / "var" / "dbt_logs").is_dir()


def test_build_selects_and_raises(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake = FakeRunner(success=False, results=[node_result("fct_cbhi_weekly", "error", "bad")])
    monkeypatch.setattr(dbt_runner, "dbtRunner", fake)
    settings = Settings(home=tmp_path)

    with pytest.raises(DbtBuildError, match="fct_cbhi_weekly"):
        dbt_build_in_place(settings, select=["+fct_cbhi_weekly", "dim_district"])

    (args, _), *_ = fake.calls
    assert args[:4] == ["build", "--select", "+fct_cbhi_weekly", "dim_district"]
    # build made the warehouse and its landing schema, so dbt's sources exist
    assert settings.warehouse_path.exists()


def test_partial_parse_is_kept_per_warehouse_file(tmp_path: Path) -> None:
    live, building = tmp_path / "tpn.duckdb", tmp_path / "tpn.building.duckdb"
    target = tmp_path / "target"
    target.mkdir()
    saved = target / "partial_parse.msgpack"  # what dbt reads and writes
    with partial_parse_kept_for(target, building):
        saved.write_bytes(b"parse with the building file's profile")
    with partial_parse_kept_for(target, live):
        assert saved.read_bytes() == b"parse with the building file's profile"  # dbt decides
        saved.write_bytes(b"parse with the live file's profile")
    with partial_parse_kept_for(target, building):
        assert saved.read_bytes() == b"parse with the building file's profile"
    with partial_parse_kept_for(target, building):  # the same file again: left as it is
        assert saved.read_bytes() == b"parse with the building file's profile"
    with partial_parse_kept_for(target, live):
        assert saved.read_bytes() == b"parse with the live file's profile"
