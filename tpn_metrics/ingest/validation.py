"""Run the committed Great Expectations suites on a parsed file and explain every failure.

Suites live in ``expectations/expectations/<table>__suite.json``; each expectation carries a
``meta.reason`` template that names the row's own values, so a refusal reads like
"district 'Nyarugenge' appears more than once (line 7)" rather than a GX result dump.
An expectation that *raised* (a crash) is kept apart from one that *failed* (bad data).
"""

from __future__ import annotations

import datetime as dt
import logging
import os
from functools import cache
from pathlib import Path
from typing import Any

import pandas as pd

from tpn_metrics.ingest.errors import ValidationCrashError

# GX draws tqdm bars on stderr for every validation; a Friday run validates hundreds of files.
os.environ.setdefault("TQDM_DISABLE", "1")


@cache
def _context(expectations_dir: Path) -> Any:
    import great_expectations as gx  # takes seconds to import; only validation needs it

    logging.getLogger("great_expectations").setLevel(logging.ERROR)
    return gx.get_context(mode="file", context_root_dir=str(expectations_dir))


def _plain(value: Any) -> Any:
    if hasattr(value, "item"):
        return value.item()
    return value


class _Row(dict[str, Any]):
    """Format values missing from a row as '?' instead of raising KeyError."""

    def __missing__(self, key: str) -> str:
        return "?"


def _format(template: str, values: dict[str, Any]) -> str:
    try:
        return template.format_map(_Row(values))
    except (ValueError, TypeError):
        # A format spec such as {x:,} on a text value: fall back to plain substitution.
        return template.format_map(_Row({k: str(v) for k, v in values.items()}))


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
            message = _format(template, row)
            if message not in messages:
                messages.append(message)
        if messages:
            return messages
    observed = _plain(details.get("observed_value"))
    return [_format(template, {"observed_value": observed})]


def validate_frame(
    table: str,
    frame: pd.DataFrame,
    *,
    expectations_dir: Path,
    today: dt.date,
) -> list[str]:
    """Failure reasons (empty when the frame passes). Raises ValidationCrashError on a crash."""
    try:
        context = _context(expectations_dir)
        suite = context.suites.get(f"{table}__suite")
        batch_definition = (
            context.data_sources.get("tpn_frames")
            .get_asset(table)
            .get_batch_definition("whole_file")
        )
        parameters = {"today": pd.Timestamp(today), "current_year": today.year}
        batch = batch_definition.get_batch(batch_parameters={"dataframe": frame})
        # A cheap pass first: most files pass, and only failures need the offending rows.
        outcome = batch.validate(
            suite,
            result_format={"result_format": "BOOLEAN_ONLY"},
            expectation_parameters=parameters,
        )
        if not outcome.success:
            outcome = batch.validate(
                suite,
                result_format={"result_format": "COMPLETE"},
                expectation_parameters=parameters,
            )
    except Exception as error:
        raise ValidationCrashError(
            f"the {table} suite could not run ({type(error).__name__}: {error})"
        ) from error
    reasons: list[str] = []
    crashes: list[str] = []
    for result in outcome.results:
        info = result.exception_info or {}
        if info.get("raised_exception"):
            crashes.append(
                f"{result.expectation_config.type}: {info.get('exception_message', 'error')}"
            )
        elif not result.success:
            reasons.extend(explain(result, frame))
    if crashes:
        raise ValidationCrashError(
            f"validation of {table} crashed (not a data problem): " + "; ".join(crashes)
        )
    return reasons
