"""The result of one hypothesis test, and the results of tests that cannot be computed."""

from __future__ import annotations

from dataclasses import dataclass

from tpn_metrics.evaluation.stats.inputs import ALTERNATIVE, NAN, FloatArray, join_notes


@dataclass(frozen=True)
class TestResult:
    """One hypothesis test. ``statistic`` and ``p_value`` are NaN when it cannot be computed,
    and ``note`` then says why. ``df`` is the degrees of freedom for t-based tests, else NaN.
    """

    __test__ = False  # keeps pytest from collecting this class because of its name

    method: str
    statistic: float
    p_value: float
    alternative: str
    n_focus: int
    n_comparison: int
    note: str = ""
    df: float = NAN


def not_computable(
    method: str, n_focus: int, n_comparison: int, reason: str, extra: str = ""
) -> TestResult:
    """A result with NaN statistic and p-value whose note says why (``reason``, then ``extra``)."""
    return TestResult(
        method=method,
        statistic=NAN,
        p_value=NAN,
        alternative=ALTERNATIVE,
        n_focus=n_focus,
        n_comparison=n_comparison,
        note=join_notes(reason, extra),
    )


def too_few_to_test(method: str, a: FloatArray, b: FloatArray, extra: str) -> TestResult | None:
    """The not-computable result when either group has fewer than 2 institutions, else None."""
    if a.size < 2 or b.size < 2:
        return not_computable(
            method, int(a.size), int(b.size), "needs at least 2 institutions per group", extra
        )
    return None
