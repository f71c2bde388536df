"""Evaluation of the DHIS2 service topics (issue #22): focus vs the others, month by month.

A topic of ``topics.yaml`` whose metrics name a ``service_indicator`` is evaluated on the
monthly rows of ``marts.fct_service_indicators`` (period_type ``Monthly``): its value in a
baseline month and an endline month, per level (DHMTs at district level, hospitals), focus
from ``marts.fct_tpn_focus`` (entity_kind district/hospital, the topic) against every other
institution of that level measured. One comparison per metric and level with measured
institutions in both groups: ``<topic>_<level>s`` for the topic's primary metric (e.g.
``anc_first_visit_districts``), ``<topic>_<metric>_<level>s`` for the others.

Default months: the launch month (``2021-03``: the paper's baseline year at the dbt var
``cbhi_same_date``) and 24 months later (``2023-03``), or the latest month with data when that
month has none (the label says so). The difference-in-differences compares 3-month values
ending at each month (Σnumerator/Σdenominator × factor when every row has both, else the
mean), so one late or corrected report does not decide an institution's change.

A month's value is numerator / denominator × factor where DHIS2 gave both, its ``value`` only
where it did not: DHIS2 rounds ``value`` (1 of 15 tracer medicines out is 6.67, not 6.666…),
and rounded values turn equal changes into a spread of ±0.01 that the z-tests divide by.
"""

from __future__ import annotations

import datetime as dt

import duckdb
import pandas as pd

from tpn_metrics.evaluation.datasets import Dataset
from tpn_metrics.evaluation.periods import PAPER_YEARS, PeriodError, PeriodRules, parse_period
from tpn_metrics.twinning.service_sql import AGGREGATE_VALUE, EXACT_VALUE
from tpn_metrics.twinning.topics import TopicMetric
from tpn_metrics.warehouse import table_exists

PANEL_MONTHS = 3
# level → (entity column of fct_service_indicators, names table, its id and name columns, words)
LEVELS = {
    "district": ("district_id", "dim_district", "district_id", "district_name", "districts"),
    "hospital": ("hospital_id", "dim_hospital", "hospital_id", "hospital_name", "hospitals"),
}
LEVEL_TITLES = {"district": "districts (DHMTs)", "hospital": "hospitals"}


def comparison_id(metric: TopicMetric, level: str) -> str:
    """``<topic>_<level>s`` for a topic's primary metric, ``<topic>_<metric>_<level>s``
    for the others (``anc_first_visit_districts``, ``birth_asphyxia_hospitals``)."""
    words = LEVELS[level][4]
    if metric.primary:
        return f"{metric.topic}_{words}"
    return f"{metric.topic}_{metric.metric}_{words}"


def _month_text(day: dt.date) -> str:
    return day.strftime("%Y-%m")


def loaded_months(con: duckdb.DuckDBPyConnection, item_code: str) -> list[dt.date]:
    """First days of the months with a monthly row of ``item_code``, in order; PeriodError
    (one line) when the warehouse has no ``marts.fct_service_indicators``."""
    if not table_exists(con, "marts", "fct_service_indicators"):
        raise PeriodError(
            "the warehouse has no marts.fct_service_indicators: load DHIS2 exports "
            "(`tpn ingest`) and run `tpn build`"
        )
    rows = con.execute(
        "select distinct period_start from marts.fct_service_indicators "
        "where item_code = ? and period_type = 'Monthly' order by 1",
        [item_code],
    ).fetchall()
    return [row[0] for row in rows]


def _loaded_text(months: list[dt.date]) -> str:
    if not months:
        return "none are loaded"
    span = f"{_month_text(months[0])} to {_month_text(months[-1])}"
    return f"{len(months)} months are loaded, {span}"


def service_months(
    con: duckdb.DuckDBPyConnection,
    metric: TopicMetric,
    start: str | None,
    end: str | None,
    *,
    rules: PeriodRules,
) -> tuple[dt.date, dt.date, str, str]:
    """The baseline and endline months of a service metric and their labels:
    ``(baseline, endline, baseline_label, endline_label)`` (first days of the months).

    ``start``/``end`` are months (``2021-03``); a missing one defaults as the module says.
    PeriodError (one line) for a period that is not a month, a month without a monthly row
    of the metric's item, or a baseline not before the endline.
    """
    code = str(metric.service_indicator)
    months = loaded_months(con, code)
    default_month = int(rules.same_date[:2])
    chosen: list[tuple[dt.date, str]] = []
    for text, year, is_end in ((start, PAPER_YEARS[0], False), (end, PAPER_YEARS[1], True)):
        if text is None:
            day = dt.date(year, default_month, 1)
            if day not in months and is_end and months and months[-1] < day:
                latest = months[-1]
                note = f"latest month with data; none for {_month_text(day)}"
                chosen.append((latest, f"{_month_text(latest)} ({note})"))
                continue
        else:
            period = parse_period(text)
            if period.granularity != "month":
                raise PeriodError(
                    f"{metric.topic} is compared on monthly DHIS2 reports: give a month such "
                    f"as 2021-03, not {period.text!r}"
                )
            day = period.start
        if day not in months:
            raise PeriodError(
                f"no DHIS2 monthly data for {code} in {_month_text(day)}: {_loaded_text(months)}"
            )
        chosen.append((day, _month_text(day)))
    (baseline, baseline_label), (endline, endline_label) = chosen
    if baseline >= endline:
        raise PeriodError(
            f"--from {baseline_label} is not before --to {endline_label}: the baseline month "
            "must come before the endline month"
        )
    return baseline, endline, baseline_label, endline_label


def _frame(
    con: duckdb.DuckDBPyConnection,
    metric: TopicMetric,
    level: str,
    months: tuple[dt.date, dt.date],
) -> pd.DataFrame:
    entity, names, name_id, name_column, _words = LEVELS[level]
    return con.execute(
        f"""
        with item as (
            select {entity} as entity_id, period_start, {EXACT_VALUE} as value
            from marts.fct_service_indicators
            where item_code = ? and period_type = 'Monthly' and institution_kind = ?
                and {entity} is not null
        ),
        measured as (
            select distinct entity_id from item where period_start in (?, ?)
        ),
        focus as (
            select entity_id, bool_or(is_focus) as is_focus
            from marts.fct_tpn_focus
            where entity_kind = ? and topic = ?
            group by entity_id
        )
        select
            measured.entity_id as institution_id,
            coalesce(max(names.{name_column}), measured.entity_id) as institution_name,
            coalesce(bool_or(focus.is_focus), false) as is_focus,
            max(case when item.period_start = ? then item.value end) as baseline,
            max(case when item.period_start = ? then item.value end) as endline
        from measured
        left join item on item.entity_id = measured.entity_id
        left join focus on focus.entity_id = measured.entity_id
        left join marts.{names} as names on names.{name_id} = measured.entity_id
        group by measured.entity_id
        order by institution_id
        """,
        [
            metric.service_indicator,
            level,
            *months,
            level,
            metric.topic,
            *months,
        ],
    ).df()


def monthly_panel(
    con: duckdb.DuckDBPyConnection,
    metric: TopicMetric,
    level: str,
    months: tuple[dt.date, dt.date],
    window: int = PANEL_MONTHS,
) -> pd.DataFrame | None:
    """The metric's value per institution over the ``window`` months ending at each month
    (period 0 = baseline, 1 = endline): columns ``unit_id``, ``period``, ``is_focus``,
    ``value`` (in the metric's unit), for :func:`difference_in_differences`; None when empty.
    """
    entity = LEVELS[level][0]
    panel = con.execute(
        f"""
        with windows as (
            select 0 as period, ?::date as end_month
            union all
            select 1, ?::date
        ),
        focus as (
            select entity_id, bool_or(is_focus) as is_focus
            from marts.fct_tpn_focus
            where entity_kind = ? and topic = ?
            group by entity_id
        ),
        rows as (
            select indicators.{entity} as unit_id, windows.period, indicators.period_start,
                indicators.value, indicators.numerator, indicators.denominator,
                indicators.factor
            from marts.fct_service_indicators as indicators
            inner join windows
                on indicators.period_start <= windows.end_month
                and indicators.period_start
                    > windows.end_month - to_months({window})
            where indicators.item_code = ? and indicators.period_type = 'Monthly'
                and indicators.institution_kind = ? and indicators.{entity} is not null
                and indicators.value is not null
        )
        select
            rows.unit_id,
            rows.period,
            coalesce(bool_or(focus.is_focus), false) as is_focus,
            {AGGREGATE_VALUE} as value
        from rows
        left join focus on focus.entity_id = rows.unit_id
        group by rows.unit_id, rows.period
        order by rows.unit_id, rows.period
        """,
        [*months, level, metric.topic, metric.service_indicator, level],
    ).df()
    return panel if not panel.empty else None


def _both_groups_measured(frame: pd.DataFrame) -> str | None:
    complete = frame["baseline"].notna() & frame["endline"].notna()
    for group, members in (("focus", frame["is_focus"]), ("comparison", ~frame["is_focus"])):
        if not (complete & members.astype(bool)).any():
            return f"no {group} institution has a value in both months"
    return None


def service_datasets(
    con: duckdb.DuckDBPyConnection,
    metrics: tuple[TopicMetric, ...],
    start: str | None,
    end: str | None,
    *,
    rules: PeriodRules,
) -> tuple[list[tuple[str, Dataset]], list[tuple[str, str]]]:
    """The comparisons of one service topic (``metrics``: its service metrics, primary
    first) and the ones left out with their reason, ``(comparison or metric id, reason)``.

    PeriodError when the primary metric's months are refused (:func:`service_months`) or no
    level has measured institutions in both groups; a secondary metric or a level that
    cannot be compared is left out and named.
    """
    datasets: list[tuple[str, Dataset]] = []
    left_out: list[tuple[str, str]] = []
    for metric in sorted(metrics, key=lambda m: not m.primary):
        try:
            baseline, endline, baseline_label, endline_label = service_months(
                con, metric, start, end, rules=rules
            )
        except PeriodError as error:
            if metric.primary:
                raise
            left_out.append((f"{metric.topic}_{metric.metric}", str(error)))
            continue
        for level in LEVELS:
            frame = _frame(con, metric, level, (baseline, endline))
            comparison = comparison_id(metric, level)
            if frame.empty:
                continue  # the metric does not measure this level: nothing to say
            reason = _both_groups_measured(frame)
            if reason:
                left_out.append((comparison, f"{reason} ({baseline_label}, {endline_label})"))
                continue
            datasets.append(
                (
                    comparison,
                    Dataset(
                        topic=metric.topic,
                        metric=metric.metric,
                        unit=metric.unit,
                        baseline_label=baseline_label,
                        endline_label=endline_label,
                        frame=frame,
                        panel=monthly_panel(con, metric, level, (baseline, endline)),
                        difference_unit=metric.difference_unit,
                        higher_is_better=metric.higher_is_better,
                        title=f"{metric.label or metric.metric}, {LEVEL_TITLES[level]}",
                        panel_method="did_monthly_panel",
                        panel_note=f"{PANEL_MONTHS}-month values before/after",
                    ),
                )
            )
    if not any(d.metric == m.metric for m in metrics if m.primary for _c, d in datasets):
        reasons = "; ".join(f"{c}: {r}" for c, r in left_out) or "no institution measured"
        raise PeriodError(f"nothing to compare for {metrics[0].topic}: {reasons}")
    return datasets, left_out
