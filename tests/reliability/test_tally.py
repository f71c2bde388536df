"""The summary counts a fault when it happens, and a recovery only when every check passed."""

from __future__ import annotations

import pytest

from tests.reliability.tally import Tally


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
