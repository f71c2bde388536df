"""Institution names beside institution ids in the twinning tables, for people.

Every column ending in ``institution_id`` gets a ``…institution_name`` column right after it
(``rising_institution_id`` → ``rising_institution_name``), filled from
``marts.dim_institution.institution_name``. Ids stay the keys; names are what reports,
the command line and the evaluation report show.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd

_ID_SUFFIX = "institution_id"
_NAME_SUFFIX = "institution_name"


def name_column(id_column: str) -> str:
    """``shining_institution_id`` → ``shining_institution_name``."""
    return id_column.removesuffix(_ID_SUFFIX) + _NAME_SUFFIX


def named_columns(columns: Sequence[str]) -> tuple[str, ...]:
    """The columns with each ``…institution_id`` followed by its ``…institution_name``."""
    out: list[str] = []
    for column in columns:
        out.append(column)
        if column.endswith(_ID_SUFFIX):
            out.append(name_column(column))
    return tuple(out)


def institution_names(institutions: pd.DataFrame) -> dict[str, str]:
    """institution_id → institution_name (the id itself when the name is missing)."""
    if "institution_name" not in institutions.columns:
        return {str(i): str(i) for i in institutions["institution_id"]}
    return {
        str(i): str(n) if isinstance(n, str) and n else str(i)
        for i, n in zip(
            institutions["institution_id"], institutions["institution_name"], strict=True
        )
    }


def with_names(frame: pd.DataFrame, names: Mapping[str, str]) -> pd.DataFrame:
    """``frame`` with a name column after every ``…institution_id`` column (null id → null)."""
    columns = list(frame.columns)
    out = frame.copy()
    for column in columns:
        if column.endswith(_ID_SUFFIX):
            out[name_column(column)] = [
                None if i is None or pd.isna(i) else names.get(str(i), str(i))
                for i in frame[column]
            ]
    return out.loc[:, list(named_columns(columns))]
