"""What the reliability run tried and what came of it, printed at the end of the run.

Tests record here, in tests/reliability and in the fault-injection tests of the other suites
(marked ``reliability``); ``tests/conftest.pytest_terminal_summary`` prints the figures. Under
pytest-xdist each worker process has its own tally: tests/conftest.py sends each worker's to the
controller at the end (``to_data``) and adds them up there (``merge``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol


class _Outcome(Protocol):
    status: str


@dataclass
class Tally:
    files: Counter[tuple[str, str]] = field(default_factory=Counter)  # (source, status)
    faults_injected: int = 0
    recovered: int = 0
    emails_sent: int = 0
    emails_expected: int = 0
    emails_resent: int = 0  # sent again under the same Message-ID after a kill mid-send
    fault_kinds: Counter[str] = field(default_factory=Counter)

    def files_seen(self, source: str, outcomes: Iterable[_Outcome]) -> None:
        for outcome in outcomes:
            self.files[(source, outcome.status)] += 1

    def injected(self, kind: str) -> None:
        """Called when the fault happens, before anything is checked: a test that fails after
        it leaves the fault counted and not recovered."""
        self.faults_injected += 1
        self.fault_kinds[kind] += 1

    def recovered_from(self, kind: str) -> None:
        """Called once every check of the recovery has passed."""
        assert self.fault_kinds[kind], f"no {kind} fault was injected"
        self.recovered += 1

    def emails(self, *, sent: int, expected: int, resent: int = 0) -> None:
        """``sent``: districts that received their email (distinct Message-IDs)."""
        self.emails_sent += sent
        self.emails_expected += expected
        self.emails_resent += resent

    def count(self, status: str | None = None, source: str | None = None) -> int:
        return sum(
            n
            for (src, st), n in self.files.items()
            if (status is None or st == status) and (source is None or src == source)
        )

    def to_data(self) -> dict[str, object]:
        """Plain lists and numbers, for an xdist worker to send to the controller."""
        return {
            # str(): statuses are StrEnum members, which execnet cannot send
            "files": [[str(src), str(st), n] for (src, st), n in self.files.items()],
            "fault_kinds": [[kind, n] for kind, n in self.fault_kinds.items()],
            "counts": [
                self.faults_injected,
                self.recovered,
                self.emails_sent,
                self.emails_expected,
                self.emails_resent,
            ],
        }

    def merge(self, data: dict[str, Any]) -> None:
        """Add what ``to_data`` of another process's tally holds."""
        for src, st, n in data["files"]:
            self.files[(src, st)] += n
        for kind, n in data["fault_kinds"]:
            self.fault_kinds[kind] += n
        injected, recovered, sent, expected, resent = data["counts"]
        self.faults_injected += injected
        self.recovered += recovered
        self.emails_sent += sent
        self.emails_expected += expected
        self.emails_resent += resent

    def empty(self) -> bool:
        return not self.files and not self.faults_injected

    def lines(self) -> list[str]:
        sources = sorted({src for src, _ in self.files})
        statuses = ("loaded", "quarantined", "duplicate", "crashed")
        lines = [
            f"files tried: {self.count()}  (quarantined {self.count('quarantined')}, "
            f"accepted {self.count('loaded')}, duplicate {self.count('duplicate')}, "
            f"crashed {self.count('crashed')})"
        ]
        for source in sources:
            parts = ", ".join(
                f"{status} {self.count(status, source)}"
                for status in statuses
                if self.count(status, source)
            )
            lines.append(f"  {source}: {self.count(source=source)} ({parts})")
        kinds = ", ".join(f"{kind} {n}" for kind, n in sorted(self.fault_kinds.items()))
        lines.append(
            f"faults injected: {self.faults_injected}, recovered: {self.recovered}"
            + (f"  ({kinds})" if kinds else "")
        )
        resent = (
            f"  ({self.emails_resent} sent twice under the same Message-ID: in flight at a kill)"
            if self.emails_resent
            else ""
        )
        lines.append(f"emails sent/expected: {self.emails_sent}/{self.emails_expected}{resent}")
        return lines


TALLY = Tally()
