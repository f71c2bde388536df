"""Input handling shared by the evaluation's statistics: arrays, missing values and notes.

Inputs are per-institution sequences in which ``None``, ``pd.NA`` or NaN mean "not measured".
Missing values are never dropped silently: the helpers here return how many were left out and
word the note that results carry.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
Values = Sequence[float | None] | npt.NDArray[Any]
Flags = Sequence[bool] | npt.NDArray[Any]

#: Every test is one-sided: focus minus comparison (or change) above zero.
ALTERNATIVE = "greater"
NAN = math.nan

# Simulation methods work in batches so memory stays bounded (about 8 MB of floats per batch)
# whatever the group sizes; the batch size depends only on the data size, so results stay
# reproducible for a given seed.
BATCH_ELEMENTS = 1_000_000


def as_float_array(values: Values, name: str) -> FloatArray:
    """``values`` as a 1-D float64 array, ``None``/``pd.NA`` as NaN (shape ``(n,)``).

    Raises ValueError when it is not one-dimensional or holds an infinite value; ``name``
    names the argument in the message.
    """
    if isinstance(values, np.ndarray):
        array = values.astype(np.float64)
    else:
        # pd.NA cannot be cast by numpy, and frames handed over from pandas may contain it.
        array = np.array(
            [NAN if value is None or value is pd.NA else value for value in values],
            dtype=np.float64,
        )
    if array.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {array.shape}")
    if np.isinf(array).any():
        # An infinite percentage is a data error upstream, not a missing value.
        raise ValueError(f"{name} contains infinite values")
    return array


def as_bool_array(values: Flags, name: str) -> BoolArray:
    """``values`` as a 1-D bool array; ValueError on anything but True/False (None, NaN).

    Casting would turn a missing flag into False and hide an unassigned institution.
    """
    items = list(values.tolist() if isinstance(values, np.ndarray) else values)
    for item in items:
        # Casting would turn None/NaN into False and hide an unassigned institution.
        if item not in (True, False):
            raise ValueError(f"{name} must contain only booleans, got {item!r}")
    return np.array([bool(item) for item in items], dtype=np.bool_)


def drop_missing(values: Values, name: str) -> tuple[FloatArray, int]:
    """The measured values of ``values`` (NaN dropped) and how many were missing."""
    array = as_float_array(values, name)
    missing = np.isnan(array)
    return array[~missing], int(missing.sum())


def is_constant(x: FloatArray) -> bool:
    """True when every value of ``x`` is equal up to rounding (False for an empty array)."""
    # Changes are differences of percentages, so "all +5 pp" can arrive as 5.0 and
    # 4.999999999999998. A spread below 1e-9 of the values' size is rounding, not variation.
    if x.size == 0:
        return False
    return float(np.ptp(x)) <= 1e-9 * max(1.0, float(np.max(np.abs(x))))


def sample_var(x: FloatArray) -> float:
    """Sample variance (ddof=1) of ``x``, exactly 0.0 when its values are equal up to rounding.

    Needs at least 2 values (NaN otherwise, as numpy).
    """
    # No variation must give exactly zero: otherwise rounding noise (~1e-30) becomes the
    # denominator of a test statistic and reports an absurdly large z or t.
    if is_constant(x):
        return 0.0
    return float(np.var(x, ddof=1))


def counted(n: int, singular: str, plural: str) -> str:
    """``n`` with the noun that agrees: "1 unit", "2 units"."""
    return f"{n} {singular if n == 1 else plural}"


def missing_note(n_missing_focus: int, n_missing_comparison: int) -> str:
    """The note saying how many missing values each group lost ("" when none)."""
    parts = []
    if n_missing_focus:
        parts.append(
            f"{counted(n_missing_focus, 'missing value', 'missing values')} excluded"
            " from focus group"
        )
    if n_missing_comparison:
        parts.append(
            f"{counted(n_missing_comparison, 'missing value', 'missing values')} excluded"
            " from comparison group"
        )
    return "; ".join(parts)


def join_notes(*notes: str) -> str:
    """The non-empty notes joined with "; "."""
    return "; ".join(note for note in notes if note)


def two_groups(
    changes_focus: Values, changes_comparison: Values
) -> tuple[FloatArray, FloatArray, str]:
    """Both groups without their missing values, and a note of how many were left out."""
    a, missing_a = drop_missing(changes_focus, "changes_focus")
    b, missing_b = drop_missing(changes_comparison, "changes_comparison")
    return a, b, missing_note(missing_a, missing_b)


def check_resamples(n_resamples: int) -> None:
    """ValueError unless ``n_resamples`` is at least 1."""
    if n_resamples < 1:
        raise ValueError(f"n_resamples must be at least 1, got {n_resamples}")


def check_confidence(confidence: float) -> None:
    """ValueError unless ``confidence`` (a level such as 0.95, not a percentage) is in (0, 1)."""
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be strictly between 0 and 1, got {confidence}")
