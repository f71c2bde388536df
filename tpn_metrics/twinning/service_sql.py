"""The SQL that measures institutions on a DHIS2 service indicator, and the codes it may name.

A topic entry of ``topics.yaml`` with ``service_indicator: <item_code>`` gets its ``sql`` and
``launch_sql`` from :func:`service_indicator_sql`, one template for every service topic: the
indicator's value over the last 12 monthly periods available in
``marts.fct_service_indicators`` (DHIS2 monthly reports, issue #22), per district (DHMT) and
per hospital. The item codes are those of ``dhis2_data_items.csv`` (indicators and
reporting-rate metrics), plus the census-corrected ANC coverage dbt derives.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

#: Months a value is computed over (the last ones available, or before the launch workshop).
WINDOW_MONTHS = 12
#: Item codes dbt derives beside DHIS2's own (``fct_service_coverage_corrected``).
DERIVED_ITEM_CODES = frozenset({"anc1_coverage_corrected_pct"})
#: Item types of dhis2_data_items.csv that are measures (data elements are their components).
MEASURE_ITEM_TYPES = frozenset({"indicator", "reporting_rate"})
DATA_ITEMS_SEED = "dhis2_data_items.csv"
#: The launch workshop when the registry holds none (2021-03-23, as elsewhere).
DEFAULT_LAUNCH_DATE = "2021-03-23"

_CODE = re.compile(r"^[a-z][a-z0-9_]*$")

# The exact value of one row: numerator / denominator × factor when DHIS2 gave both, else its
# value. DHIS2's ``value`` is rounded (to 2 decimals in exports): 1 of 15 tracer medicines out
# is 6.67 there but 6.666… here, and changes between rounded values (−6.66, −6.67 where every
# hospital lost exactly one tracer) invent a spread that a z-test divides by (review P3-11).
EXACT_VALUE = (
    "case when numerator is not null and denominator > 0 "
    "then numerator * factor / denominator else value end"
)

# The value of a set of monthly rows of one item and institution: Σ numerator / Σ denominator
# × factor when every row has both (a ratio of sums, never a mean of rates), else the mean of
# the rows' exact values (EXACT_VALUE). Reused by the evaluation (3-month values of its
# difference-in-differences). The sums and the mean are ordered aggregates (by period_start,
# which the rows must carry): a float sum depends on the order of its terms, and DuckDB's
# parallel aggregation would otherwise add them in a different order from run to run, so a
# re-run on the same data would not give the same bits (re-runs must change nothing).
AGGREGATE_VALUE = f"""case
    when count(*) = count(numerator) and count(*) = count(denominator)
        and sum(denominator order by period_start) > 0
        then sum(numerator order by period_start) * max(factor)
            / sum(denominator order by period_start)
    else avg({EXACT_VALUE} order by period_start)
end"""


def measure_item_codes(data_items_csv: Path) -> frozenset[str]:
    """Item codes a topic may name: the ``item_code`` of every ``indicator`` and
    ``reporting_rate`` row of the seed whose items are not a component of another (the
    seed's ``numerator_of``/``denominator_of`` are empty), plus :data:`DERIVED_ITEM_CODES`.
    OSError when the file cannot be read; KeyError when it lacks those columns."""
    with data_items_csv.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    codes = {
        row["item_code"]
        for row in rows
        if row["item_type"] in MEASURE_ITEM_TYPES
        and not row["numerator_of"]
        and not row["denominator_of"]
    }
    return frozenset(codes | DERIVED_ITEM_CODES)


def _months_label() -> str:
    return (
        "strftime(min(rows.period_start), '%Y-%m') || '..' "
        "|| strftime(max(rows.period_start), '%Y-%m') || ', ' || count(*) "
        "|| case when count(*) < max(window_size.months) "
        "then ' of ' || max(window_size.months) else '' end "
        "|| case when count(*) = 1 and max(window_size.months) = 1 then ' month' "
        "else ' months' end"
    )


def service_indicator_sql(item_code: str, *, at_launch: bool = False) -> str:
    """The SQL of a service-indicator metric (``sql``, or ``launch_sql`` when ``at_launch``).

    Returns one row per institution of ``marts.dim_institution`` measured: ``institution_id``
    (DHMTs by ``district_id``, hospitals by ``hospital_id``), ``value`` (in the indicator's
    unit: Σ numerator / Σ denominator × factor when every row has both, else the mean of the
    monthly values, each numerator / denominator × factor where DHIS2 gave both, never its
    rounded ``value``) and ``as_of`` (``"2022-07..2023-06, 12 months"``; ``"…, 10 of 12
    months"`` when the institution reported fewer). The window is the last
    :data:`WINDOW_MONTHS` monthly periods of the item in ``marts.fct_service_indicators``;
    at the launch, the last ones that end before the first ``launch_workshop`` event (what was
    known then). Raises ValueError for a code that is not a lower-case identifier.
    """
    if not _CODE.match(item_code):
        raise ValueError(f"service_indicator {item_code!r} is not an item code (e.g. anc1_visits)")
    launch = ""
    launch_filter = ""
    if at_launch:
        launch = f"""launch as (
    select coalesce(min(event_date), date '{DEFAULT_LAUNCH_DATE}') as launch_date
    from staging.stg_tpn_registry__events
    where event_kind = 'launch_workshop'
),
"""
        launch_filter = "\n      and period_end < (select launch_date from launch)"
    return f"""with {launch}months as (
    select distinct period_start
    from marts.fct_service_indicators
    where item_code = '{item_code}' and period_type = 'Monthly'{launch_filter}
    order by period_start desc
    limit {WINDOW_MONTHS}
),
window_size as (
    select count(*) as months from months
),
rows as (
    select indicators.*
    from marts.fct_service_indicators as indicators
    inner join months using (period_start)
    where indicators.item_code = '{item_code}'
      and indicators.period_type = 'Monthly'
      and indicators.value is not null
),
measured as (
    select
        rows.institution_kind,
        rows.district_id,
        rows.hospital_id,
        {AGGREGATE_VALUE.replace(chr(10), chr(10) + "        ")} as value,
        {_months_label()} as as_of
    from rows
    cross join window_size
    group by rows.institution_kind, rows.district_id, rows.hospital_id
)
select institutions.institution_id, measured.value, measured.as_of
from measured
inner join marts.dim_institution as institutions
    on institutions.institution_kind = measured.institution_kind
    and (
        (measured.institution_kind = 'district'
            and institutions.district_id = measured.district_id)
        or (measured.institution_kind = 'hospital'
            and institutions.hospital_id = measured.hospital_id)
    )
"""
