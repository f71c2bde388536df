"""Re-issued and refused RSSB files, end to end: ingest → dbt build → emails over SMTP.

A re-issued week reaches only the districts whose own figures changed, as a correction
threaded under the first email; a file that failed validation sends nothing at all.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.emails.support import (
    HELD_BACK,
    SampleWeeks,
    SmtpServerHandle,
    ledger,
    text_parts,
    week_figures_table,
    week_rows,
    write_rssb_file,
)
from tests.warehouse_state import fingerprint
from tpn_metrics.dbt_runner import dbt_build_in_place
from tpn_metrics.emails.content import message_id_for
from tpn_metrics.emails.recipients import Recipients
from tpn_metrics.ingest.intake import ingest_paths
from tpn_metrics.settings import Settings, SmtpSettings
from tpn_metrics.stages import run_emails

pytestmark = pytest.mark.slow

CHANGED = "gasabo"  # English-language recipients: its figures are written 1,234,567
EXTRA_MEMBERS = 2_500


def smtp_for(server: SmtpServerHandle) -> SmtpSettings:
    return SmtpSettings(host="127.0.0.1", port=server.port, security="none")


def test_reissued_week_corrects_only_the_district_whose_figures_changed(
    settings: Settings,
    recipients: Recipients,
    start_smtp,
    sample_weeks: SampleWeeks,
    tmp_path: Path,
) -> None:
    server = start_smtp()
    smtp = smtp_for(server)
    week = sample_weeks.latest
    assert run_emails(settings, smtp=smtp).delivered == 30
    before = week_figures_table(settings, week)

    # RSSB re-issues the week in another layout, with one district's members corrected, and
    # the next Friday's file arrives in the same drop.
    reissue = write_rssb_file(
        tmp_path / "RSSB re-issue.csv",
        week,
        week_rows(settings, week),
        members_change={CHANGED: EXTRA_MEMBERS},
    )
    outcomes = ingest_paths([reissue, sample_weeks.files[HELD_BACK]], settings)
    assert [o.status for o in outcomes] == ["loaded", "loaded"], outcomes
    assert {o.period_key: o.superseded is not None for o in outcomes} == {
        week.isoformat(): True,
        HELD_BACK.isoformat(): False,
    }
    dbt_build_in_place(settings)
    after = week_figures_table(settings, week)
    # The whole week now comes from the new file, but only one district's figures differ.
    assert all(after[d]["source_file_sha256"] != before[d]["source_file_sha256"] for d in after)
    assert [d for d in after if after[d]["members_paid"] != before[d]["members_paid"]] == [CHANGED]

    new_week = run_emails(settings, smtp=smtp)  # the latest week, as every Friday
    assert new_week.report_date == HELD_BACK
    assert (new_week.delivered, new_week.corrections, new_week.errors) == (30, 0, ())

    corrected = run_emails(settings, smtp=smtp, report_date=week)
    assert (corrected.planned, corrected.delivered, corrected.corrections) == (1, 1, 1)
    assert (corrected.already_done, corrected.errors) == (29, ())
    assert len(server.received) == 61
    correction = server.received[-1]
    assert correction.district_id == CHANGED
    configured = recipients.for_district(CHANGED)
    assert configured is not None and correction.rcpt_tos == configured.addresses
    message = correction.message
    assert str(message["Subject"]).startswith("[CORRECTION] ")
    assert message["Message-ID"] == message_id_for(CHANGED, week, is_correction=True)
    original = message_id_for(CHANGED, week, is_correction=False)
    assert message["In-Reply-To"] == original
    first = next(r for r in server.received[:30] if r.district_id == CHANGED)
    assert first.message["Message-ID"] == original
    plain, html = text_parts(message)
    new_members = f"{int(after[CHANGED]['members_paid']):,}"
    old_members = f"{int(before[CHANGED]['members_paid']):,}"
    assert new_members in plain and new_members in html
    assert old_members not in plain
    assert "Correction" in plain

    rows = [r for r in ledger(settings) if r["report_date"].date() == week]
    revisions = {(r["district_id"], r["revision"]): r for r in rows}
    assert len(rows) == 31
    assert revisions[(CHANGED, 2)]["status"] == "delivered"
    assert revisions[(CHANGED, 2)]["is_correction"]
    assert not any(d != CHANGED and rev > 1 for d, rev in revisions)

    again = run_emails(settings, smtp=smtp, report_date=week)
    assert (again.planned, again.delivered, again.already_done) == (0, 0, 30)
    assert len(server.received) == 61


def test_a_week_that_failed_validation_sends_nothing(
    settings: Settings, start_smtp, sample_weeks: SampleWeeks, tmp_path: Path
) -> None:
    server = start_smtp()
    smtp = smtp_for(server)
    week = sample_weeks.latest
    assert run_emails(settings, smtp=smtp).delivered == 30
    rows = week_rows(settings, week)

    # Next Friday's file lists Huye twice; a re-issue of this Friday claims more members
    # in Gasabo than 1.5 × its target. Both break a MUST of the contract.
    huye = next(r for r in rows if r["district_id"] == "huye")
    bad_new_week = write_rssb_file(
        tmp_path / "next week.csv",
        HELD_BACK,
        rows,
        members_change={d["district_id"]: 1_000 for d in rows},
        extra_rows=[huye],
    )
    gasabo = next(r for r in rows if r["district_id"] == "gasabo")
    too_many = int(gasabo["target_population"]) * 2 - int(gasabo["members_paid"])
    bad_reissue = write_rssb_file(
        tmp_path / "re-issue.csv", week, rows, members_change={"gasabo": too_many}
    )
    state = fingerprint(settings.warehouse_path)
    outcomes = ingest_paths([bad_new_week, bad_reissue], settings)
    assert [o.status for o in outcomes] == ["quarantined", "quarantined"], outcomes
    assert "more than once" in (outcomes[0].reason or "")
    assert "exceeds 1.5" in (outcomes[1].reason or "")
    # Nothing reached landing or the marts, so a dbt build would rebuild the same marts.
    assert fingerprint(settings.warehouse_path) == state

    latest = run_emails(settings, smtp=smtp)
    assert latest.report_date == week
    assert (latest.planned, latest.delivered, latest.already_done) == (0, 0, 30)
    refused_week = run_emails(settings, smtp=smtp, report_date=HELD_BACK)
    assert (refused_week.planned, refused_week.delivered) == (0, 0)
    assert refused_week.errors == (f"no CBHI figures in the marts for the week ending {HELD_BACK}",)
    assert len(server.received) == 30
    assert {r["report_date"].date() for r in ledger(settings)} == {week}
