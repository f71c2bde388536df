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

from tpn_metrics.declared_tables import DeclaredTable, declared_table, insert_frame, replace_table
from tpn_metrics.twinning.compute import (
    TwinningConfig,
    TwinningInputs,
    TwinningResult,
    compute_twinning,
)
from tpn_metrics.twinning.topics import TopicMetric, load_topic_metrics, select_topics
from tpn_metrics.warehouse import table_exists, transaction

LOGGER = logging.getLogger(__name__)
SCHEMA = "twinning"
NETWORK_PNG = "twinning_network.png"

TABLE_NAMES = (
    "fct_twinning_classification",
    "fct_twinning_recommendations",
    "fct_twinning_network",
    "fct_twinning_chosen_pairs_assessed",
    "fct_twinning_comparison",
)


def declared(table: str) -> DeclaredTable:
    """A twinning table's one declaration (tpn_metrics.declared_tables): columns with their
    DuckDB types (each ``…institution_id`` followed by its ``…institution_name``), primary
    key, descriptions."""
    return declared_table(SCHEMA, table)


REQUIRED_RELATIONS = (
    ("marts", "dim_institution"),
    ("marts", "dim_district"),
    ("marts", "fct_tpn_priorities"),
    ("marts", "fct_twinning_pairs"),
    ("staging", "stg_tpn_registry__strengths"),
)
#: Where service-indicator metrics read (dbt, issue #22); optional: a warehouse built before
#: DHIS2 inputs existed measures no institution on those topics.
SERVICE_INDICATORS_RELATION = ("marts", "fct_service_indicators")


class WarehouseNotBuiltError(RuntimeError):
    """The marts twinning reads are missing: the warehouse has not been built yet."""


def read_metric_values(
    con: duckdb.DuckDBPyConnection, metric: TopicMetric, *, at_launch: bool = False
) -> pd.DataFrame:
    """Run a metric's SQL (or, ``at_launch``, its launch_sql) on the warehouse.

    Returns one row per row the SQL returns, columns ``institution_id``, ``value`` (float, in
    the metric's unit; non-numbers become NaN) and ``as_of`` (null when the SQL has none);
    an empty frame when the metric has no launch_sql, or is a service indicator and the
    warehouse has no ``marts.fct_service_indicators`` yet (no institution measured). Raises
    ValueError naming the metric when the SQL fails or lacks ``institution_id`` or ``value``.
    """
    sql = metric.launch_sql if at_launch else metric.sql
    if sql is None or (
        metric.service_indicator and not table_exists(con, *SERVICE_INDICATORS_RELATION)
    ):
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
    """Read the registry marts and every metric's values, as :class:`TwinningInputs`.

    Sources: ``marts.dim_institution`` joined to ``marts.dim_district`` (one row per
    institution), ``marts.fct_tpn_priorities`` and ``staging.stg_tpn_registry__strengths``
    (institution_id, topic), ``marts.fct_twinning_pairs`` (the chosen pairs), then
    :func:`read_metric_values` per metric (and per launch_sql). Raises
    WarehouseNotBuiltError when a relation is missing (run ``tpn build``), ValueError when a
    metric's SQL fails.
    """
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


class TwinningSchemaError(RuntimeError):
    """A twinning table on file has other columns than this version writes."""


def _check_columns(con: duckdb.DuckDBPyConnection, table: str) -> None:
    on_file = con.execute(
        "select column_name, upper(data_type) from information_schema.columns "
        "where table_schema = ? and table_name = ? order by ordinal_position",
        [SCHEMA, table],
    ).fetchall()
    expected = [(c.name, c.data_type.upper()) for c in declared(table).columns]
    if on_file != expected:
        raise TwinningSchemaError(
            f"{SCHEMA}.{table} was written by another version (columns or types differ): run "
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
        for name, frame in frames.items():
            table = declared(name)
            if result.topics is None:
                replace_table(con, table)
            else:
                con.execute(table.ddl(replace=False))
                _check_columns(con, name)
                placeholders = ", ".join("?" for _ in result.topics)
                con.execute(
                    f"delete from {SCHEMA}.{name} where topic in ({placeholders})",
                    list(result.topics),
                )
            insert_frame(con, table, frame)
            counts[table.qualified_name] = len(frame)
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
