"""The validation results page `tpn ingest` links: one self-contained HTML file (styles
inline, no script, no web address), so it reads the same offline.

GX 1.x's own Data Docs load jQuery, Bootstrap and bootstrap-table from CDNs and build their
results list in the browser: offline that list is empty. This page is rendered from the same
stored validation results (``<gx_dir>/validations/<suite>/<run name>/<run time>/*.json``).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import string
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2

PAGE_LIMIT = 200
"""Newest validations shown; older ones stay in the store (the page's cost stays flat)."""

_TEMPLATES_DIR = Path(__file__).parent / "templates"


@dataclass(frozen=True)
class ExpectationLine:
    """One expectation's outcome: what was expected, the reason template, what was seen."""

    expectation: str
    arguments: str
    reason: str
    observed: str
    success: bool
    crashed: bool


@dataclass(frozen=True)
class ValidationRun:
    """One suite run on one received file's frame."""

    run_name: str
    suite: str
    validated_at: dt.datetime
    success: bool
    evaluated: int
    passed: int
    lines: tuple[ExpectationLine, ...]

    @property
    def ordered(self) -> tuple[ExpectationLine, ...]:
        """Unmet (and crashed) expectations first, then the met ones."""
        return tuple(sorted(self.lines, key=lambda line: line.success))


def _observed(result: dict[str, Any]) -> str:
    details = result.get("result") or {}
    if "unexpected_count" in details:
        examples = ", ".join(map(str, (details.get("partial_unexpected_list") or [])[:5]))
        seen = f"{details['unexpected_count']} unexpected"
        return f"{seen} (e.g. {examples})" if examples else seen
    if "observed_value" in details:
        return str(details["observed_value"])
    return ""


def _reason(template: str, result: dict[str, Any]) -> str:
    """The suite's sentence; for an unmet expectation, with the observed value filled in when
    that is all it needs (row-level sentences keep their placeholders: rows are not stored)."""
    from tpn_metrics.ingest.reason_templates import fill_reason

    details = result.get("result") or {}
    fields = {field for _, field, _, _ in string.Formatter().parse(template) if field}
    if (
        result.get("success")
        or fields != {"observed_value"}
        or details.get("observed_value") is None
    ):
        return template
    observed = details["observed_value"]
    if isinstance(observed, str):
        with contextlib.suppress(ValueError):
            observed = dt.datetime.fromisoformat(observed)
    return fill_reason(template, {"observed_value": observed})


def _arguments(kwargs: dict[str, Any]) -> str:
    return ", ".join(f"{k}={v}" for k, v in kwargs.items() if k != "batch_id")


def read_run(path: Path) -> ValidationRun:
    """One stored GX validation result (JSON) as a ValidationRun."""
    data = json.loads(path.read_text(encoding="utf-8"))
    meta = data.get("meta") or {}
    run_id = meta.get("run_id") or {}
    lines = []
    for result in data.get("results") or []:
        config = result.get("expectation_config") or {}
        crashed = bool((result.get("exception_info") or {}).get("raised_exception"))
        lines.append(
            ExpectationLine(
                expectation=config.get("type", ""),
                arguments=_arguments(config.get("kwargs") or {}),
                reason=_reason((config.get("meta") or {}).get("reason", ""), result),
                observed=_observed(result),
                success=bool(result.get("success")) and not crashed,
                crashed=crashed,
            )
        )
    statistics = data.get("statistics") or {}
    validated_at = meta.get("validation_time") or run_id.get("run_time")
    if not isinstance(validated_at, str):
        raise TypeError(f"{path}: the validation result has no validation time")
    return ValidationRun(
        run_name=run_id.get("run_name") or path.parent.parent.name,
        suite=data.get("suite_name") or path.parents[2].name,
        validated_at=dt.datetime.fromisoformat(validated_at),
        success=bool(data.get("success")),
        evaluated=int(statistics.get("evaluated_expectations", len(lines))),
        passed=int(statistics.get("successful_expectations", 0)),
        lines=tuple(lines),
    )


def stored_results(validations_dir: Path) -> list[Path]:
    """Every stored validation result, newest first (by the run-time folder's name)."""
    found = validations_dir.glob("*/*/*/*.json") if validations_dir.exists() else []
    return sorted(found, key=lambda p: (p.parent.name, str(p)), reverse=True)


def render_validation_page(validations_dir: Path, page: Path, *, limit: int = PAGE_LIMIT) -> Path:
    """Write the page of the newest ``limit`` validations to ``page``; returns ``page``."""
    paths = stored_results(validations_dir)
    runs = [read_run(p) for p in paths[:limit]]
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(_TEMPLATES_DIR),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )
    html = environment.get_template("validation_results.html.j2").render(
        runs=runs, total=len(paths), failed=sum(not r.success for r in runs)
    )
    page.parent.mkdir(parents=True, exist_ok=True)
    temporary = page.with_suffix(".tmp")
    temporary.write_text(html, encoding="utf-8")
    temporary.replace(page)
    return page
