"""Which revision a district's email gets, from the ledger's history (dry-run outbox channel).

The ledger rows are set up by hand here (what a past run, an older release or a changed week
would have left); the marts and the rendering are the real ones.
"""

from __future__ import annotations

import pytest

from tests.emails.support import ledger
from tpn_metrics.emails.content import message_id_for
from tpn_metrics.emails.eml import read_eml
from tpn_metrics.settings import Settings
from tpn_metrics.stages import run_emails
from tpn_metrics.warehouse import open_warehouse

pytestmark = pytest.mark.slow

DISTRICT = "kicukiro"


def execute(settings: Settings, sql: str, *params: object) -> None:
    with open_warehouse(settings.warehouse_path) as con:
        con.execute(sql, list(params))


def rows_of(settings: Settings) -> dict[int, dict[str, object]]:
    rows = ledger(settings, "outbox")
    return {int(r["revision"]): r for r in rows if r["district_id"] == DISTRICT}


def test_second_and_third_corrections_and_a_cancelled_one(settings: Settings) -> None:
    first = run_emails(settings)
    assert first.delivered == 30
    week = first.report_date
    assert week is not None

    # As if the week had been re-issued with other figures for the district since.
    execute(
        settings,
        "update ops.email_deliveries set figures_sha256 = 'earlier' where district_id = ?",
        DISTRICT,
    )
    second = run_emails(settings)
    assert (second.delivered, second.corrections) == (1, 1)
    (path,) = second.paths
    assert path.name == f"{DISTRICT}-r2.eml"
    message = read_eml(path)
    assert str(message["Subject"]).startswith("[CORRECTION] ")
    assert message["Message-ID"] == message_id_for(DISTRICT, week, is_correction=True)

    execute(
        settings,
        "update ops.email_deliveries set figures_sha256 = 'earlier' "
        "where district_id = ? and revision = 2",
        DISTRICT,
    )
    third = run_emails(settings)
    (path,) = third.paths
    assert path.name == f"{DISTRICT}-r3.eml"
    message = read_eml(path)
    # Its own id (a receiving server drops a repeated one), threaded under the first email.
    assert message["Message-ID"] != message_id_for(DISTRICT, week, is_correction=True)
    assert ".r3@" in str(message["Message-ID"])
    assert message["In-Reply-To"] == message_id_for(DISTRICT, week, is_correction=False)

    # A correction still pending when the figures go back to what was delivered is cancelled.
    execute(
        settings,
        "insert into ops.email_deliveries select * replace (4 as revision, 'pending' as status,"
        " 'later' as figures_sha256) from ops.email_deliveries"
        " where district_id = ? and revision = 3",
        DISTRICT,
    )
    assert run_emails(settings).delivered == 0
    rows = rows_of(settings)
    assert rows[4]["status"] == "cancelled"
    assert [rows[r]["status"] for r in (1, 2, 3)] == ["delivered"] * 3

    # Changed again: the next revision skips the cancelled one's number.
    execute(
        settings,
        "update ops.email_deliveries set figures_sha256 = 'earlier' "
        "where district_id = ? and revision = 3",
        DISTRICT,
    )
    fifth = run_emails(settings)
    assert [p.name for p in fifth.paths] == [f"{DISTRICT}-r5.eml"]
    assert rows_of(settings)[5]["status"] == "delivered"


def test_rows_from_before_fingerprints_compare_the_source_file(settings: Settings) -> None:
    assert run_emails(settings).delivered == 30
    execute(settings, "update ops.email_deliveries set figures_sha256 = null")
    assert run_emails(settings).delivered == 0  # same file: nothing to correct
    execute(
        settings,
        "update ops.email_deliveries set source_file_sha256 = 'older file' where district_id = ?",
        DISTRICT,
    )
    again = run_emails(settings)
    assert [p.name for p in again.paths] == [f"{DISTRICT}-r2.eml"]
    assert rows_of(settings)[2]["figures_sha256"] is not None


def test_a_pending_email_is_retried_with_the_figures_it_now_carries(settings: Settings) -> None:
    """A week re-issued while its first email was still pending sends that email once, with
    the new figures and as revision 1 (nobody saw the old figures, so it is no correction)."""
    assert run_emails(settings).delivered == 30
    execute(
        settings,
        "update ops.email_deliveries set status = 'pending', figures_sha256 = 'old', "
        "source_file_sha256 = 'old file' where district_id = ?",
        DISTRICT,
    )
    retry = run_emails(settings)
    assert [p.name for p in retry.paths] == [f"{DISTRICT}.eml"]
    assert retry.corrections == 0
    row = rows_of(settings)[1]
    assert row["status"] == "delivered" and row["figures_sha256"] != "old"
    assert row["source_file_sha256"] != "old file"
    assert not str(read_eml(retry.paths[0])["Subject"]).startswith("[CORRECTION]")
