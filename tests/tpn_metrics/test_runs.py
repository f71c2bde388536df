"""tpn_metrics.runs: the typed result of a pipeline run and how refused files end it."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import pytest

from tpn_metrics.emails.deliver import DeliveryReport
from tpn_metrics.ingest.intake import IngestOutcome
from tpn_metrics.runs import RefusedFilesError, RunResult, raise_if_refused
from tpn_metrics.stages import CorrectionCheck, IngestSummary

LOADED = IngestOutcome("week.csv", "a" * 64, "rssb_weekly", "loaded", rows=30)
QUARANTINED = IngestOutcome(
    "moh.csv", "b" * 64, "accreditation", "quarantined", "unknown hospital 'Kibagabga'"
)
CRASHED = IngestOutcome("odd.xlsx", "c" * 64, "unknown", "crashed", "validation crashed: boom")


def test_a_run_result_is_frozen_and_defaults_to_no_emails_or_corrections():
    result = RunResult(
        ingest=IngestSummary((LOADED,)), tables={"marts.fct_cbhi_weekly": 30}, evaluation=None
    )
    assert (result.corrections, result.emails, result.build) == (None, None, None)
    assert result.ingest.counts == {"loaded": 1}
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.emails = None  # type: ignore[misc]


def test_a_run_result_holds_each_stage_typed():
    emails = DeliveryReport(dt.date(2023, 3, 24), 30, 30, 0, 0, 1, (), (Path("x.eml"),))
    corrections = CorrectionCheck(
        rows_checked=30, mismatches=(), stale_districts=("d01",), over_100_districts=()
    )
    result = RunResult(
        ingest=IngestSummary((LOADED,)),
        tables={},
        evaluation=None,
        corrections=corrections,
        emails=emails,
    )
    assert result.emails is not None and result.emails.delivered == 30
    assert result.corrections is not None and result.corrections.stale_districts == ("d01",)


def test_nothing_refused_raises_nothing():
    assert raise_if_refused(IngestSummary((LOADED,))) is None


def test_refused_files_are_named_one_per_line_with_their_reason():
    with pytest.raises(RefusedFilesError) as raised:
        raise_if_refused(IngestSummary((LOADED, QUARANTINED, CRASHED)))
    lines = str(raised.value).splitlines()
    assert lines[0].startswith("2 file(s) refused, everything else loaded")
    assert "tpn quarantine" in lines[0]
    assert lines[1:] == [
        "quarantined moh.csv: unknown hospital 'Kibagabga'",
        "crashed odd.xlsx: validation crashed: boom",
    ]
    assert isinstance(raised.value, RuntimeError)
