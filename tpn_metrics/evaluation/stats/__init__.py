"""Pure statistics for the focus-area evaluation.

The programme question is one-sided: did institutions that chose a focus area improve *more* on
it than those that did not? Every test here therefore uses the alternative "greater" (focus
minus comparison, or change above zero), as in the 2024 paper we reproduce.

A "change" is endline minus baseline for one institution, in percentage points (pp). Inputs are
per-institution sequences in which ``None`` or NaN mean "not measured". Missing values are never
dropped silently: they are counted in the result (``n_missing`` fields or the ``note``).

Nothing here reads files, prints or depends on Prefect, so results can be recomputed anywhere
and written to the warehouse as they are.

Methods by family: :mod:`.descriptive` (before/after summary), :mod:`.parametric` (the
paper's z-tests, Welch's t), :mod:`.resampling` (permutation test, bootstrap interval) and
:mod:`.regression` (ANCOVA, difference-in-differences); :mod:`.inputs` and :mod:`.results`
hold what they share.
"""
