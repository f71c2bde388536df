"""Write the sample's DHIS2 exports in the four shapes DHIS2 writes them.

Shapes, as documented by DHIS2 (dhis2-docs ``src/developer/web-api/analytics.md``, "Response
formats", ``includeNumDen``, ``hierarchyMeta``; ``data.md``, "Reading data values" and "CSV data
value format") and as dhis2-core writes them (``HeaderHandler``: headers ``dx``, ``pe``, ``ou``,
``value``, ``numerator``, ``denominator``, ``factor``, ``multiplier``, ``divisor``;
``GridUtils.toCsv``: the CSV header is each header's column, ``Data,Period,Organisation
unit,Value,Numerator,...``):

- analytics JSON (``analytics_json``): ``headers``, ``metaData.items`` / ``.dimensions`` /
  ``.ouHierarchy``, ``rows`` (every cell a string), ``width``, ``height``, ``headerWidth``;
- analytics CSV (``analytics_csv``), the same table with the headers' columns as header row;
- data value set JSON (``data_value_set_json``): ``{"dataValues": [{"dataElement", "period",
  "orgUnit", "categoryOptionCombo", "attributeOptionCombo", "value", ...}]}``, values as strings;
- data value set CSV (``data_value_set_csv``): DHIS2's quoted lower-case header
  (the data value sets are built by :mod:`tpn_metrics.sample.dhis2_value_sets`).

Files, per fiscal year ``YYYY-YY`` (monthly periods): ``analytics_districts_<topic>_YYYY-YY.json``
(30 districts, one per service topic, with ``ouHierarchy``), ``analytics_hospitals_YYYY-YY.csv``
(54 hospitals, every topic but ANC and the reporting metrics),
``datavalues_health_centres_YYYY-YY.json`` (``.csv`` for 2021-22; components by category option
combo), ``datavalues_expected_pregnancies_YYYY-YY.csv`` (districts' ANC denominator). Other
period types: ``analytics_districts_quarterly_2022.json`` (``2022Q1``..``2022Q4``),
``analytics_districts_financial_july.json`` (``2020July``..``2022July``),
``analytics_hospitals_yearly.csv`` (``2021``, ``2022``).

Values are rounded as analytics rounds them by default: 2 decimals, half up
(``AnalyticsUtils.getRoundedValue`` → ``MathUtils.getRounded``), written as Java doubles.
Files are written only when delivered by ``today`` (the 15th of the month after their last
period); the caller sets their modification times to :func:`delivery_time`.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tpn_metrics.reference import District
from tpn_metrics.sample.dhis2_periods import (
    Measure,
    Period,
    delivery_time,
    financial_july,
    indicator_measures,
    java_double,
    monthly,
    quarterly,
    reporting_measures,
    topic_codes,
    yearly,
)
from tpn_metrics.sample.dhis2_value_sets import (
    expected_pregnancy_values,
    health_centre_values,
    write_value_set_csv,
    write_value_set_json,
)
from tpn_metrics.sample.dhis2_values import (
    DATA_QUALITY,
    TOPICS,
    Dhis2Values,
    OrgUnit,
    placeholder_uid,
)
from tpn_metrics.sample.writers import write_csv

FISCAL_YEARS = (2020, 2021, 2022)
CSV_FISCAL_YEARS = (2021,)
"""Fiscal years whose health-centre data value set is written as CSV (the others as JSON)."""
QUARTERLY_YEAR = 2022
YEARLY_YEARS = (2021, 2022)
ANALYTICS_HEADERS = (
    ("dx", "Data", "TEXT", "java.lang.String", True),
    ("pe", "Period", "TEXT", "java.lang.String", True),
    ("ou", "Organisation unit", "TEXT", "java.lang.String", True),
    ("value", "Value", "NUMBER", "java.lang.Double", False),
    ("numerator", "Numerator", "NUMBER", "java.lang.Double", False),
    ("denominator", "Denominator", "NUMBER", "java.lang.Double", False),
    ("factor", "Factor", "NUMBER", "java.lang.Double", False),
    ("multiplier", "Multiplier", "NUMBER", "java.lang.Double", False),
    ("divisor", "Divisor", "NUMBER", "java.lang.Double", False),
)
COUNTRY = "Rwanda"

Row = tuple[str, Period, OrgUnit, Measure]


def fy_label(start_year: int) -> str:
    """``2021`` → ``"2021-22"`` (file names)."""
    return f"{start_year}-{(start_year + 1) % 100:02d}"


def write_dhis2(
    folder: Path, values: Dhis2Values, districts: Sequence[District], today: dt.date
) -> dict[Path, dt.datetime]:
    """Write every DHIS2 export delivered by ``today`` under ``folder``; path → delivery time."""
    folder.mkdir(parents=True, exist_ok=True)
    written: dict[Path, dt.datetime] = {}

    def delivered(periods: Sequence[Period]) -> list[Period]:
        return [p for p in periods if delivery_time(p).date() <= today]

    district_units = [values.district_unit(d.district_id) for d in districts]
    hospitals = [o for o in values.org_units if o.level == "hospital"]
    centres = [o for o in values.org_units if o.level == "health_centre"]
    hierarchy = _hierarchy(district_units, districts)
    for fy in FISCAL_YEARS:
        year = financial_july(fy)
        months = delivered([monthly(m) for m in values.months if year.start <= m <= year.end])
        if not months:
            continue
        when = delivery_time(months[-1])
        label = fy_label(fy)
        for topic in [t.topic for t in TOPICS] + [DATA_QUALITY]:
            rows = _district_rows(values, district_units, months, topic_codes(topic))
            path = folder / f"analytics_districts_{topic}_{label}.json"
            write_json(path, analytics_json(values, rows, months, hierarchy))
            written[path] = when
        path = folder / f"analytics_hospitals_{label}.csv"
        _write_analytics_csv(path, values, _hospital_rows(values, hospitals, months))
        written[path] = when
        centre_values = health_centre_values(values, centres, months)
        if fy in CSV_FISCAL_YEARS:
            path = folder / f"datavalues_health_centres_{label}.csv"
            write_value_set_csv(path, centre_values, core=False)
        else:
            path = folder / f"datavalues_health_centres_{label}.json"
            write_value_set_json(path, centre_values)
        written[path] = when
        path = folder / f"datavalues_expected_pregnancies_{label}.csv"
        pregnancies = expected_pregnancy_values(values, district_units, months)
        write_value_set_csv(path, pregnancies, core=True)
        written[path] = when
    all_codes = tuple(c for t in [*(t.topic for t in TOPICS), DATA_QUALITY] for c in topic_codes(t))
    for name, periods in (
        (
            f"analytics_districts_quarterly_{QUARTERLY_YEAR}.json",
            delivered([quarterly(QUARTERLY_YEAR, q) for q in range(1, 5)]),
        ),
        (
            "analytics_districts_financial_july.json",
            delivered([financial_july(fy) for fy in FISCAL_YEARS]),
        ),
    ):
        if periods:
            path = folder / name
            rows = _district_rows(values, district_units, periods, all_codes)
            write_json(path, analytics_json(values, rows, periods, hierarchy))
            written[path] = delivery_time(periods[-1])
    years = delivered([yearly(y) for y in YEARLY_YEARS])
    if years:
        path = folder / "analytics_hospitals_yearly.csv"
        _write_analytics_csv(path, values, _hospital_rows(values, hospitals, years))
        written[path] = delivery_time(years[-1])
    return written


@dataclass(frozen=True)
class Hierarchy:
    """``metaData.ouHierarchy`` (uid → ``/<country>/<province>``) and the ancestors' names."""

    paths: dict[str, str]
    names: dict[str, str]


def _hierarchy(units: Sequence[OrgUnit], districts: Sequence[District]) -> Hierarchy:
    """Each district under its province under the country (placeholder uids)."""
    province = {d.district_id: d.province for d in districts}
    country = placeholder_uid(f"country:{COUNTRY}")
    names = {country: COUNTRY}
    paths = {}
    for unit in units:
        name = province[unit.district_id]
        uid = placeholder_uid(f"province:{name}")
        names[uid] = "Kigali City" if name == "Kigali" else f"{name} Province"
        paths[unit.uid] = f"/{country}/{uid}"
    return Hierarchy(paths, names)


def _district_rows(
    values: Dhis2Values, units: Sequence[OrgUnit], periods: Sequence[Period], codes: Sequence[str]
) -> list[Row]:
    rows = []
    for unit in units:
        facilities = [f.uid for f in values.facilities_of(unit.district_id)]
        for period in periods:
            measures = indicator_measures(values, facilities, unit.uid, period.months)
            measures += reporting_measures(values, facilities, period.months)
            rows += [(m.code, period, unit, m) for m in measures if m.code in codes]
    return rows


def _hospital_rows(
    values: Dhis2Values, hospitals: Sequence[OrgUnit], periods: Sequence[Period]
) -> list[Row]:
    rows = []
    for unit in hospitals:
        for period in periods:
            measures = indicator_measures(values, [unit.uid], None, period.months)
            measures += reporting_measures(values, [unit.uid], period.months)
            rows += [(m.code, period, unit, m) for m in measures]
    return rows


def _cells(values: Dhis2Values, row: Row) -> list[str]:
    """One analytics row as DHIS2 writes it: every cell a string, empty when not applicable."""
    code, period, unit, measure = row
    assert measure.value is not None
    head = [values.items[code].uid, period.period_id, unit.uid]
    if measure.numerator is None or measure.denominator is None:
        return [*head, str(round(measure.value)), "", "", "", "", ""]
    return [
        *head,
        java_double(measure.value),
        java_double(measure.numerator),
        java_double(measure.denominator),
        java_double(measure.factor),
        str(measure.factor),
        "1",
    ]


def _sorted(values: Dhis2Values, rows: Sequence[Row]) -> list[list[str]]:
    cells = [_cells(values, r) for r in rows if r[3].value is not None]
    return sorted(cells, key=lambda c: (c[0], c[1], c[2]))


def analytics_json(
    values: Dhis2Values, rows: Sequence[Row], periods: Sequence[Period], hierarchy: Hierarchy
) -> dict[str, Any]:
    """The analytics API's JSON for ``rows`` (``includeNumDen=true&hierarchyMeta=true``)."""
    body = _sorted(values, rows)
    codes = sorted({r[0] for r in rows}, key=lambda c: values.items[c].uid)
    units = sorted({r[2].uid: r[2] for r in rows}.values(), key=lambda u: u.uid)
    items: dict[str, Any] = {
        "dx": {"uid": "dx", "dimensionType": "DATA_X", "name": "Data"},
        "pe": {"uid": "pe", "dimensionType": "PERIOD", "name": "Period"},
        "ou": {"uid": "ou", "dimensionType": "ORGANISATION_UNIT", "name": "Organisation unit"},
    }
    for code in codes:
        item = values.items[code]
        entry: dict[str, Any] = {"uid": item.uid, "name": item.name, "valueType": "NUMBER"}
        if item.item_type == "indicator":
            kind = "Per cent" if item.factor == 100 else f"Per {item.factor:,}"
            entry["indicatorType"] = {
                "name": kind,
                "displayName": kind,
                "factor": item.factor,
                "number": False,
            }
            entry["dimensionItemType"] = "INDICATOR"
        else:
            entry["dimensionItemType"] = "REPORTING_RATE"
        items[item.uid] = entry
    for period in periods:
        items[period.period_id] = {
            "uid": period.period_id,
            "code": period.period_id,
            "name": period.name,
            "startDate": f"{period.start.isoformat()}T00:00:00.000",
            "endDate": f"{period.end.isoformat()}T00:00:00.000",
            "dimensionItemType": "PERIOD",
        }
    for unit in units:
        items[unit.uid] = {
            "uid": unit.uid,
            "name": unit.name,
            "dimensionItemType": "ORGANISATION_UNIT",
        }
    ancestors = {a for u in units for a in hierarchy.paths.get(u.uid, "").split("/") if a}
    for uid in sorted(ancestors):
        items[uid] = {"name": hierarchy.names[uid]}
    return {
        "headers": [
            {"name": n, "column": c, "valueType": v, "type": t, "hidden": False, "meta": m}
            for n, c, v, t, m in ANALYTICS_HEADERS
        ],
        "metaData": {
            "items": items,
            "dimensions": {
                "dx": [values.items[c].uid for c in codes],
                "pe": [p.period_id for p in periods],
                "ou": [u.uid for u in units],
                "co": [],
            },
            "ouHierarchy": {
                u.uid: hierarchy.paths[u.uid] for u in units if u.uid in hierarchy.paths
            },
        },
        "width": len(ANALYTICS_HEADERS) if body else 0,
        "rows": body,
        "height": len(body),
        "headerWidth": len(ANALYTICS_HEADERS),
    }


def write_json(path: Path, payload: dict[str, Any]) -> None:
    """``payload`` as compact UTF-8 JSON (as the API returns it), newline-terminated."""
    path.write_text(
        json.dumps(payload, ensure_ascii=False, separators=(",", ":")) + "\n", encoding="utf-8"
    )


def _write_analytics_csv(path: Path, values: Dhis2Values, rows: Sequence[Row]) -> None:
    """``GridUtils.toCsv``: the headers' columns, then the rows (quoted only where needed)."""
    write_csv(path, [[h[1] for h in ANALYTICS_HEADERS], *_sorted(values, rows)])
