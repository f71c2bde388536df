"""Statistics for the focus-area evaluation: did focus institutions improve more?"""

from tpn_metrics.evaluation.compare import (
    Comparison,
    compare_groups,
    comparison_rows,
    test_rows,
)
from tpn_metrics.evaluation.stats import (
    AdjustedEstimate,
    DidEstimate,
    GroupSummary,
    TestResult,
    ancova_adjusted_difference,
    bootstrap_ci_difference,
    difference_in_differences,
    permutation_test,
    summarise_changes,
    welch_t_test,
    z_test_difference,
    z_test_within,
)

__all__ = [
    "AdjustedEstimate",
    "Comparison",
    "DidEstimate",
    "GroupSummary",
    "TestResult",
    "ancova_adjusted_difference",
    "bootstrap_ci_difference",
    "compare_groups",
    "comparison_rows",
    "difference_in_differences",
    "permutation_test",
    "summarise_changes",
    "test_rows",
    "welch_t_test",
    "z_test_difference",
    "z_test_within",
]
