"""The summary counts a fault when it happens, and a recovery only when every check passed."""

from __future__ import annotations

import execnet
import pytest

from tests.reliability.tally import Tally
from tpn_metrics.ingest.vocabulary import FileStatus


def test_a_fault_whose_recovery_was_not_checked_shows_as_not_recovered():
    tally = Tally()
    tally.injected("dbt build")
    tally.injected("publish")
    tally.recovered_from("publish")
    tally.emails(sent=29, expected=30, resent=1)
    lines = tally.lines()
    assert "faults injected: 2, recovered: 1  (dbt build 1, publish 1)" in lines
    assert lines[-1].startswith("emails sent/expected: 29/30  (1 sent twice")


def test_a_recovery_needs_its_fault():
    with pytest.raises(AssertionError, match="no email sending fault was injected"):
        Tally().recovered_from("email sending")


def test_the_tallies_of_two_workers_add_up():
    """Under pytest-xdist each worker counts apart; the controller prints the sum."""
    first, second, total = Tally(), Tally(), Tally()

    class Outcome:
        def __init__(self, status: str | FileStatus) -> None:
            self.status = status

    first.files_seen("corpus", [Outcome(FileStatus.LOADED), Outcome("quarantined")])
    first.injected("dbt build")
    first.recovered_from("dbt build")
    second.files_seen("corpus", [Outcome("quarantined")])
    second.injected("email sending")
    second.emails(sent=30, expected=30, resent=1)
    # What a worker sends must pass execnet's serializer (plain types only).
    total.merge(execnet.loads(execnet.dumps(first.to_data())))
    total.merge(execnet.loads(execnet.dumps(second.to_data())))
    assert total.count("quarantined", "corpus") == 2
    assert total.count("loaded") == 1
    assert "faults injected: 2, recovered: 1  (dbt build 1, email sending 1)" in total.lines()
    assert total.lines()[-1].startswith("emails sent/expected: 30/30  (1 sent twice")
