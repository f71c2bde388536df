"""flows/run_summary.py: the Markdown artifact a run leaves, from its typed RunResult."""

from __future__ import annotations

import datetime as dt

from flows.run_summary import run_summary_markdown
from tpn_metrics.emails.deliver import DeliveryReport
from tpn_metrics.ingest.intake import IngestOutcome
from tpn_metrics.runs import RunResult
from tpn_metrics.stages import CorrectionCheck, IngestSummary

LOADED = IngestOutcome("week.csv", "a" * 64, "rssb_weekly", "loaded", rows=30)
REFUSED = IngestOutcome("moh.csv", "b" * 64, "accreditation", "quarantined", "unknown hospital")


def test_a_weekly_result_gives_every_section():
    result = RunResult(
        ingest=IngestSummary((LOADED, REFUSED)),
        tables={"marts.fct_cbhi_weekly": 4_710},
        evaluation=None,
        corrections=CorrectionCheck(4_710, (), ("Gasabo",), ()),
        emails=DeliveryReport(dt.date(2023, 3, 24), 30, 29, 0, 1, 0, ("smtp down",), ()),
    )
    text = run_summary_markdown("TPN weekly CBHI run", result)
    assert text.startswith("# TPN weekly CBHI run\n")
    assert "- loaded: 1\n- quarantined: 1\n" in text
    assert "- **quarantined** `moh.csv`: unknown hospital" in text
    assert "| marts.fct_cbhi_weekly | 4,710 |" in text
    assert "4,710 district-weeks agree" in text and "Stale RSSB targets: Gasabo." in text
    assert "Week 2023-03-24: 29 delivered, 0 already delivered earlier, 1 pending." in text
    assert "- error: smtp down" in text
    assert "## Evaluation" not in text


def test_an_accreditation_result_has_no_corrections_or_emails():
    result = RunResult(ingest=IngestSummary((LOADED,)), tables={}, evaluation=None)
    text = run_summary_markdown("TPN annual accreditation run", result)
    assert "## Files" in text and "## Tables" in text
    assert "## Population corrections" not in text and "## Emails" not in text
