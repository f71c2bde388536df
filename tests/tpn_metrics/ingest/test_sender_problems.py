"""Issue 16, kind 10: every problem of a file listed in one refusal, grouped over lines."""

from __future__ import annotations

from pathlib import Path

from tests.tpn_metrics.ingest.sender_files import baseline_rows, ingest_one, write_csv
from tpn_metrics.ingest.parsed import group_problems
from tpn_metrics.settings import Settings


def with_dates(text: str) -> list[list[str]]:
    rows = baseline_rows()
    for row in rows[1:]:
        row[0] = text
    return rows


def test_an_unknown_and_a_duplicate_district_are_both_listed(settings: Settings, tmp_path: Path):
    rows = baseline_rows()
    rows[4][1] = "Atlantis"
    rows.append(list(rows[6]))
    outcome = ingest_one(settings, write_csv(tmp_path / "two.csv", rows))
    assert outcome.status == "quarantined"
    reason = outcome.reason or ""
    assert "line 5: unknown district 'Atlantis'" in reason
    assert f"district '{rows[6][1]}' appears more than once" in reason


def test_a_problem_on_many_lines_is_one_grouped_message(settings: Settings, tmp_path: Path):
    outcome = ingest_one(settings, write_csv(tmp_path / "g.csv", with_dates("someday")))
    assert outcome.status == "quarantined"
    assert outcome.reason == (
        "lines 2–31, report_date: 'someday' is not a date "
        "(use 2023-03-24, 24/03/2023 or 24-Mar-2023)"
    )


def test_group_problems_keeps_order_and_ranges():
    problems = [
        "line 2, x: bad",
        "line 3, x: bad",
        "line 7: unknown district 'A'",
        "line 5, x: bad",
        "registry lacks pairs",
        "institutions line 4: odd",
        "institutions line 9: odd",
    ]
    assert group_problems(problems) == [
        "lines 2–3, 5, x: bad",
        "line 7: unknown district 'A'",
        "registry lacks pairs",
        "institutions lines 4, 9: odd",
    ]


def test_row_problems_and_coverage_mismatches_are_listed_together(
    settings: Settings, tmp_path: Path
):
    rows = baseline_rows()
    rows[2][1] = "Atlantis"
    rows[9][6] = "12.0"  # far from members / target
    rows[12][3] = "-5"
    outcome = ingest_one(settings, write_csv(tmp_path / "many.csv", rows))
    assert outcome.status == "quarantined"
    reason = outcome.reason or ""
    assert "line 3: unknown district 'Atlantis'" in reason
    assert "line 10: coverage_rate 12.0%" in reason
    assert "members_paid -5" in reason
