"""Run the committed Great Expectations suites on a parsed file and explain every failure.

Suites live in ``expectations/expectations/<table>__suite.json``; each expectation carries a
``meta.reason`` template that names the row's own values, so a refusal reads like
"district 'Nyarugenge' appears more than once (line 7)" rather than a GX result dump.
An expectation that *raised* (a crash) is kept apart from one that *failed* (bad data).
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import pandas as pd

from tpn_metrics.ingest.errors import ValidationCrashError
from tpn_metrics.ingest.reason_templates import fill_reason
from tpn_metrics.tool_environment import set_great_expectations_folders, silence_progress_bars

silence_progress_bars()


@cache
def _context(expectations_dir: Path, results_dir: Path, docs_dir: Path) -> Any:
    import great_expectations as gx  # takes seconds to import; only validation needs it

    logging.getLogger("great_expectations").setLevel(logging.ERROR)
    set_great_expectations_folders(results_dir, docs_dir)
    return gx.get_context(mode="file", context_root_dir=str(expectations_dir))


def _plain(value: Any) -> Any:
    if hasattr(value, "item"):
        return value.item()
    return value


def explain(result: Any, frame: pd.DataFrame) -> list[str]:
    """Turn one failed expectation result into sentences, one per offending row."""
    config = result.expectation_config
    template = (config.meta or {}).get("reason") or f"{config.type} failed"
    details = result.result or {}
    indexes = details.get("unexpected_index_list")
    if indexes:
        messages: list[str] = []
        for index in indexes:
            row_index = index if not isinstance(index, dict) else index.get("index", index)
            if row_index not in frame.index:
                continue
            row = {k: _plain(v) for k, v in frame.loc[row_index].to_dict().items()}
            message = fill_reason(template, row)
            if message not in messages:
                messages.append(message)
        if messages:
            return messages
    observed = _plain(details.get("observed_value"))
    return [fill_reason(template, {"observed_value": observed})]


def _raised(info: Any) -> str | None:
    """The message of an exception GX caught while computing an expectation, else None.

    GX puts ``{"raised_exception": True, "exception_message": ...}`` on the result itself or,
    when a metric failed (e.g. a column the frame lacks), one such dict per metric id.
    """
    if not isinstance(info, dict):
        return None
    if info.get("raised_exception"):
        return str(info.get("exception_message") or "error")
    for nested in info.values():
        if isinstance(nested, dict) and nested.get("raised_exception"):
            return str(nested.get("exception_message") or "error")
    return None


@dataclass(frozen=True)
class FrameValidator:
    """Validates frames of one received file against the committed suites.

    Each validation is stored under ``gx_dir`` (named after the file) so the run's Data Docs
    can show it; ``build_data_docs`` renders them.
    """

    expectations_dir: Path
    gx_dir: Path
    today: dt.date
    run_name: str = "tpn-ingest"

    def context(self) -> Any:
        """The Great Expectations file context (committed suites, this run's results)."""
        return _context(self.expectations_dir, self.gx_dir / "validations", self.gx_dir / "docs")

    def __call__(self, table: str, frame: pd.DataFrame) -> list[str]:
        """Failure reasons (empty when the frame passes). Raises ValidationCrashError."""
        try:
            from great_expectations.core.run_identifier import RunIdentifier

            definition = self.context().validation_definitions.get(f"{table}__validation")
            outcome = definition.run(
                batch_parameters={"dataframe": frame},
                expectation_parameters={
                    "today": pd.Timestamp(self.today),
                    "current_year": self.today.year,
                },
                result_format="COMPLETE",
                run_id=RunIdentifier(run_name=f"{self.run_name} · {table}"),
            )
        except Exception as error:
            raise ValidationCrashError(
                f"the {table} suite could not run ({type(error).__name__}: {error})"
            ) from error
        reasons: list[str] = []
        crashes: list[str] = []
        for result in outcome.results:
            raised = _raised(result.exception_info)
            if raised is not None:
                crashes.append(f"{result.expectation_config.type}: {raised}")
            elif not result.success:
                reasons.extend(explain(result, frame))
        if crashes:
            raise ValidationCrashError(
                f"validation of {table} crashed (not a data problem): " + "; ".join(crashes)
            )
        return reasons

    def build_data_docs(self) -> Path | None:
        """Render the validation results page (``<gx_dir>/docs/index.html``), self-contained
        so it works offline (GX's own Data Docs load their scripts from CDNs).

        The page shows the newest validations (``PAGE_LIMIT``), so its cost stays flat as
        results pile up.
        """
        from tpn_metrics.ingest.validation_page import render_validation_page

        try:
            return render_validation_page(
                self.gx_dir / "validations", self.gx_dir / "docs" / "index.html"
            )
        except Exception:  # the page is a convenience: never fail an ingest run over it
            logging.getLogger(__name__).warning("validation page not written", exc_info=True)
            return None
