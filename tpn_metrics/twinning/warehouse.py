"""Twinning and the warehouse: read the marts, write the ``twinning`` schema, draw the network.

dbt owns the marts; Python owns the ``twinning`` schema (created when missing). Every run
replaces its tables in one transaction, so readers see the previous run or this one, never a
mix. A run restricted to some topics replaces only those topics' rows.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd

from tpn_metrics.twinning.compute import (
    TwinningConfig,
    TwinningInputs,
    TwinningResult,
    compute_twinning,
)
from tpn_metrics.twinning.institution_names import name_column
from tpn_metrics.twinning.topics import TopicMetric, load_topic_metrics, select_topics
from tpn_metrics.warehouse import registered, table_exists, transaction

LOGGER = logging.getLogger(__name__)
SCHEMA = "twinning"
NETWORK_PNG = "twinning_network.png"

_Columns = tuple[tuple[str, str], ...]


def _named(columns: _Columns) -> _Columns:
    """Each ``…institution_id`` column followed by its ``…institution_name`` (varchar)."""
    return tuple(
        typed
        for name, kind in columns
        for typed in (
            ((name, kind), (name_column(name), "varchar"))
            if name.endswith("institution_id")
            else ((name, kind),)
        )
    )


#: Table → (columns with DuckDB types, primary key). Column lists mirror the pure modules',
#: with the institution names after the ids (tpn_metrics.twinning.institution_names).
_TABLES: dict[str, tuple[_Columns, tuple[str, ...]]] = {
    "fct_twinning_classification": (
        (
            ("topic", "varchar"),
            ("metric", "varchar"),
            ("institution_id", "varchar"),
            ("institution_kind", "varchar"),
            ("value", "double"),
            ("as_of", "varchar"),
            ("score", "double"),
            ("peer_group", "varchar"),
            ("classified_within", "varchar"),
            ("group_size", "integer"),
            ("percentile", "double"),
            ("role", "varchar"),
        ),
        ("topic", "metric", "institution_id"),
    ),
    "fct_twinning_recommendations": (
        (
            ("topic", "varchar"),
            ("metric", "varchar"),
            ("rising_institution_id", "varchar"),
            ("shining_institution_id", "varchar"),
            ("rising_value", "double"),
            ("shining_value", "double"),
            ("gap", "double"),
            ("rising_peer_group", "varchar"),
            ("shining_peer_group", "varchar"),
            ("same_peer_group", "boolean"),
            ("distance_class", "varchar"),
            ("rising_lists_priority", "boolean"),
            ("shining_lists_strength", "boolean"),
            ("cost", "double"),
            ("is_matched", "boolean"),
            ("reason", "varchar"),
        ),
        ("topic", "metric", "rising_institution_id"),
    ),
    "fct_twinning_network": (
        (
            ("source_institution_id", "varchar"),
            ("target_institution_id", "varchar"),
            ("topic", "varchar"),
            ("origin", "varchar"),
            ("metric", "varchar"),
            ("is_active", "boolean"),
            ("gap", "double"),
            ("is_shining_better", "boolean"),
        ),
        ("origin", "topic", "source_institution_id", "target_institution_id"),
    ),
    "fct_twinning_chosen_pairs_assessed": (
        (
            ("topic", "varchar"),
            ("metric", "varchar"),
            ("rising_institution_id", "varchar"),
            ("shining_institution_id", "varchar"),
            ("is_active", "boolean"),
            ("rising_value", "double"),
            ("shining_value", "double"),
            ("gap", "double"),
            ("is_shining_better", "boolean"),
            ("rising_role", "varchar"),
            ("shining_role", "varchar"),
            ("same_peer_group", "boolean"),
            ("distance_class", "varchar"),
            ("recommended_shining_institution_id", "varchar"),
            ("recommended_gap", "double"),
            ("agrees_with_recommendation", "boolean"),
            ("rising_value_at_launch", "double"),
            ("shining_value_at_launch", "double"),
            ("gap_at_launch", "double"),
            ("is_shining_better_at_launch", "boolean"),
        ),
        ("topic", "metric", "rising_institution_id", "shining_institution_id"),
    ),
    "fct_twinning_comparison": (
        (
            ("topic", "varchar"),
            ("metric", "varchar"),
            ("chosen_pairs", "integer"),
            ("chosen_pairs_measured", "integer"),
            ("chosen_shining_better", "integer"),
            ("chosen_shining_worse", "integer"),
            ("chosen_rising_classified_rising", "integer"),
            ("chosen_shining_classified_shining", "integer"),
            ("chosen_same_peer_group", "integer"),
            ("chosen_far", "integer"),
            ("chosen_mean_gap", "double"),
            ("chosen_pairs_measured_at_launch", "integer"),
            ("chosen_shining_worse_at_launch", "integer"),
            ("chosen_mean_gap_at_launch", "double"),
            ("rising_institutions", "integer"),
            ("recommended_pairs", "integer"),
            ("unmatched_rising", "integer"),
            ("recommended_same_peer_group", "integer"),
            ("recommended_far", "integer"),
            ("recommended_mean_gap", "double"),
            ("agreement", "integer"),
        ),
        ("topic", "metric"),
    ),
}
TABLES = {table: (_named(columns), key) for table, (columns, key) in _TABLES.items()}
REQUIRED_RELATIONS = (
    ("marts", "dim_institution"),
    ("marts", "dim_district"),
    ("marts", "fct_tpn_priorities"),
    ("marts", "fct_twinning_pairs"),
    ("staging", "stg_tpn_registry__strengths"),
)


class WarehouseNotBuiltError(RuntimeError):
    """The marts twinning reads are missing: the warehouse has not been built yet."""


def read_metric_values(
    con: duckdb.DuckDBPyConnection, metric: TopicMetric, *, at_launch: bool = False
) -> pd.DataFrame:
    """Run a metric's SQL (or its launch_sql): institution_id, value, as_of (null if absent)."""
    sql = metric.launch_sql if at_launch else metric.sql
    if sql is None:
        return pd.DataFrame(columns=["institution_id", "value", "as_of"])
    what = f"the {'launch_sql' if at_launch else 'sql'} of '{metric.topic}' / '{metric.metric}'"
    try:
        frame = con.execute(sql).df()
    except duckdb.Error as error:
        raise ValueError(f"{what} failed: {error}") from error
    missing = [c for c in ("institution_id", "value") if c not in frame.columns]
    if missing:
        raise ValueError(f"{what} returns no {missing}")
    if "as_of" not in frame.columns:
        frame["as_of"] = None
    frame = frame.loc[:, ["institution_id", "value", "as_of"]]
    frame["value"] = pd.to_numeric(frame["value"], errors="coerce").astype(float)
    return frame


def read_inputs(con: duckdb.DuckDBPyConnection, metrics: Sequence[TopicMetric]) -> TwinningInputs:
    """Read the registry marts and every metric's values."""
    missing = [f"{s}.{n}" for s, n in REQUIRED_RELATIONS if not table_exists(con, s, n)]
    if missing:
        raise WarehouseNotBuiltError(
            f"the warehouse lacks {', '.join(missing)}: run `tpn build` (dbt) first"
        )
    institutions = con.execute(
        """
        select
            institutions.institution_id,
            institutions.institution_name,
            institutions.institution_kind,
            institutions.district_id,
            districts.district_name,
            districts.province,
            districts.is_urban,
            institutions.hospital_category,
            institutions.is_tpn_member
        from marts.dim_institution as institutions
        inner join marts.dim_district as districts using (district_id)
        order by institutions.institution_id
        """
    ).df()
    priorities = con.execute(
        "select distinct institution_id, topic from marts.fct_tpn_priorities order by all"
    ).df()
    strengths = con.execute(
        "select distinct institution_id, topic from staging.stg_tpn_registry__strengths "
        "order by all"
    ).df()
    chosen = con.execute(
        """
        select rising_institution_id, shining_institution_id, topic, started_on, is_active
        from marts.fct_twinning_pairs
        order by topic, rising_institution_id, shining_institution_id
        """
    ).df()
    values = {metric.key: read_metric_values(con, metric) for metric in metrics}
    launch_values = {
        metric.key: read_metric_values(con, metric, at_launch=True)
        for metric in metrics
        if metric.launch_sql
    }
    return TwinningInputs(institutions, values, priorities, strengths, chosen, launch_values)


def _frames(result: TwinningResult) -> dict[str, pd.DataFrame]:
    return {
        "fct_twinning_classification": result.classification,
        "fct_twinning_recommendations": result.recommendations,
        "fct_twinning_network": result.network,
        "fct_twinning_chosen_pairs_assessed": result.assessed,
        "fct_twinning_comparison": result.summary,
    }


def _ddl(table: str, *, replace: bool) -> str:
    columns, key = TABLES[table]
    body = ",\n    ".join(f"{name} {kind}" for name, kind in columns)
    head = "create or replace table" if replace else "create table if not exists"
    return f"{head} {SCHEMA}.{table} (\n    {body},\n    primary key ({', '.join(key)})\n)"


class TwinningSchemaError(RuntimeError):
    """A twinning table on file has other columns than this version writes."""


def _check_columns(con: duckdb.DuckDBPyConnection, table: str) -> None:
    on_file = [
        row[0]
        for row in con.execute(
            "select column_name from information_schema.columns "
            "where table_schema = ? and table_name = ? order by ordinal_position",
            [SCHEMA, table],
        ).fetchall()
    ]
    expected = [name for name, _ in TABLES[table][0]]
    if on_file != expected:
        raise TwinningSchemaError(
            f"{SCHEMA}.{table} was written by another version (columns differ): run "
            "`tpn twinning recommend` without --topic once to rebuild every twinning table"
        )


def write_tables(con: duckdb.DuckDBPyConnection, result: TwinningResult) -> dict[str, int]:
    """Write the twinning tables in one transaction; return the rows written per table.

    A result computed for every topic replaces the tables; one restricted to some topics
    replaces those topics' rows only.
    """
    frames = _frames(result)
    counts: dict[str, int] = {}
    with transaction(con):
        con.execute(f"create schema if not exists {SCHEMA}")
        for table, frame in frames.items():
            columns, _ = TABLES[table]
            con.execute(_ddl(table, replace=result.topics is None))
            if result.topics is not None:
                _check_columns(con, table)
                placeholders = ", ".join("?" for _ in result.topics)
                con.execute(
                    f"delete from {SCHEMA}.{table} where topic in ({placeholders})",
                    list(result.topics),
                )
            if len(frame):
                selected = frame.loc[:, [name for name, _ in columns]].astype(object)
                selected = selected.where(selected.notna(), None)
                casts = ", ".join(f"cast({name} as {kind}) as {name}" for name, kind in columns)
                with registered(con, "twinning_frame", selected):
                    con.execute(f"insert into {SCHEMA}.{table} select {casts} from twinning_frame")
            counts[f"{SCHEMA}.{table}"] = len(frame)
    return counts


@dataclass(frozen=True)
class TwinningRun:
    """A computed, written and drawn run: what the CLI prints and the report shows."""

    result: TwinningResult
    table_rows: dict[str, int]
    png_path: Path


def run_twinning(
    con: duckdb.DuckDBPyConnection,
    *,
    reports_dir: Path,
    topics: Iterable[str] | None = None,
    metrics: Sequence[TopicMetric] | None = None,
    config: TwinningConfig | None = None,
) -> TwinningRun:
    """Read the marts, compute, replace the ``twinning`` tables, draw the network PNG.

    ``metrics`` defaults to the package's topics.yaml; ``topics`` restricts the run (and the
    rows replaced) to some topics. The PNG (``reports_dir/twinning_network.png``) draws the
    whole network table as it stands after the write.
    """
    from tpn_metrics.twinning.plot import save_network_png

    metrics = tuple(metrics) if metrics is not None else load_topic_metrics()
    topic_list = None if topics is None else tuple(topics)
    selected = select_topics(metrics, topic_list)
    inputs = read_inputs(con, selected)
    result = compute_twinning(inputs, metrics, config, topics=topic_list)
    counts = write_tables(con, result)
    network = con.execute(
        f"select * from {SCHEMA}.fct_twinning_network "
        "order by origin, topic, source_institution_id, target_institution_id"
    ).df()
    png_path = save_network_png(network, result.institutions, reports_dir / NETWORK_PNG)
    LOGGER.info("twinning: %s; network drawn to %s", counts, png_path)
    return TwinningRun(result, counts, png_path)
