"""DuckDB column types → SQLAlchemy types, so a published table keeps its types.

The mapping is explicit: a DuckDB type we do not know how to carry over (STRUCT, LIST, MAP,
UNION, ENUM, JSON, BIT, ...) is refused before the target is touched, rather than published
as text that looks right and sorts wrong. Cast such a column in its model, or add it here.
"""

from __future__ import annotations

import re
from typing import Any

import sqlalchemy as sa
from sqlalchemy.types import TypeEngine

_SIMPLE: dict[str, TypeEngine[Any]] = {
    "BOOLEAN": sa.Boolean(),
    "TINYINT": sa.SmallInteger(),
    "SMALLINT": sa.SmallInteger(),
    "INTEGER": sa.Integer(),
    "BIGINT": sa.BigInteger(),
    # Unsigned and 128-bit integers: the next signed type wide enough for every value.
    "UTINYINT": sa.SmallInteger(),
    "USMALLINT": sa.Integer(),
    "UINTEGER": sa.BigInteger(),
    "UBIGINT": sa.Numeric(20, 0),
    "HUGEINT": sa.Numeric(39, 0),
    "UHUGEINT": sa.Numeric(39, 0),
    "FLOAT": sa.REAL(),
    "DOUBLE": sa.Double(),
    "VARCHAR": sa.String(),
    "DATE": sa.Date(),
    "TIME": sa.Time(),
    "TIMESTAMP": sa.DateTime(),
    "TIMESTAMP_S": sa.DateTime(),
    "TIMESTAMP_MS": sa.DateTime(),
    "TIMESTAMP_NS": sa.DateTime(),
    "TIMESTAMP WITH TIME ZONE": sa.DateTime(timezone=True),
    "INTERVAL": sa.Interval(),
    "UUID": sa.Uuid(),
    "BLOB": sa.LargeBinary(),
}

_DECIMAL = re.compile(r"^DECIMAL\((\d+),\s*(\d+)\)$")


class UnsupportedTypeError(ValueError):
    """A source column whose DuckDB type has no faithful mapping to the target."""


def sqlalchemy_type(duckdb_type: str, *, where: str = "") -> TypeEngine[Any]:
    """The SQLAlchemy type for a DuckDB ``information_schema.columns.data_type`` (any case,
    ``DECIMAL(p, s)`` included). Raises UnsupportedTypeError, naming ``where`` (the column),
    for a type without a faithful mapping."""
    name = duckdb_type.strip().upper()
    if name in _SIMPLE:
        return _SIMPLE[name]
    match = _DECIMAL.match(name)
    if match:
        return sa.Numeric(int(match[1]), int(match[2]))
    column = f"column {where} " if where else ""
    raise UnsupportedTypeError(
        f"{column}has DuckDB type {duckdb_type}, which publish cannot carry over faithfully: "
        "cast it in its model (e.g. to VARCHAR) or add a mapping in tpn_metrics/publish/types.py"
    )
