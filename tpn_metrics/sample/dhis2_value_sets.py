"""Data value sets for the sample's DHIS2 exports: health-centre components and districts'
expected pregnancies, as ``dataValueSets`` JSON and CSV.

Shapes: dhis2-docs ``src/developer/web-api/data.md`` ("Reading data values": ``{"dataValues":
[{"dataElement", "period", "orgUnit", "categoryOptionCombo", "attributeOptionCombo", "value",
"storedBy", "created", "lastUpdated", "followup"}]}``, values as strings; "CSV data value
format": the quoted lower-case header ``"dataelement","period","orgunit","catoptcombo",...``)
and dhis2-core ``DataExportOutput`` (current CSV header: ``categoryoptioncombo``,
``attributeoptioncombo``, ``deleted``).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from tpn_metrics.sample.dhis2_periods import Period, delivery_time
from tpn_metrics.sample.dhis2_values import TOPICS, Dhis2Values, OrgUnit, combo_uid

DOCS_CSV_HEADER = [
    "dataelement",
    "period",
    "orgunit",
    "catoptcombo",
    "attroptcombo",
    "value",
    "storedby",
    "lastupdated",
    "comment",
    "followup",
]
CORE_CSV_HEADER = [
    "dataelement",
    "period",
    "orgunit",
    "categoryoptioncombo",
    "attributeoptioncombo",
    "value",
    "storedby",
    "lastupdated",
    "comment",
    "followup",
    "deleted",
]


DataValue = tuple[str, str, str, str, str, str, str]
"""(data element uid, period id, org unit uid, combo uid, attribute combo uid, value, updated)."""


def health_centre_values(
    values: Dhis2Values, centres: Sequence[OrgUnit], months: Sequence[Period]
) -> list[DataValue]:
    """Every health-centre component (data elements of the topics) in ``months``, by combo."""
    codes = [c for t in TOPICS for c in (t.numerator, t.denominator) if c != "expected_pregnancies"]
    uids = {o.uid for o in centres}
    return _data_values(values, uids, codes, months)


def expected_pregnancy_values(
    values: Dhis2Values, units: Sequence[OrgUnit], months: Sequence[Period]
) -> list[DataValue]:
    """Each district's expected pregnancies (DHIS2's stale projection) in ``months``."""
    return _data_values(values, {u.uid for u in units}, ["expected_pregnancies"], months)


def _data_values(
    values: Dhis2Values, uids: set[str], codes: Sequence[str], months: Sequence[Period]
) -> list[DataValue]:
    wanted = {p.months[0]: p for p in months}
    out = []
    for (uid, code, combo, month), count in values.counts.items():
        if uid in uids and code in codes and month in wanted:
            period = wanted[month]
            updated = delivery_time(period).date() - dt.timedelta(days=7)
            stamp = f"{updated.isoformat()}T09:00:00.000"
            out.append(
                (
                    values.items[code].uid,
                    period.period_id,
                    uid,
                    combo_uid(combo),
                    combo_uid("default"),
                    str(count),
                    stamp,
                )
            )
    return sorted(out)


def value_json(value: DataValue) -> dict[str, Any]:
    """One entry of ``dataValues``, keys in the order dhis2-core writes them."""
    element, period, unit, combo, attribute, number, updated = value
    return {
        "dataElement": element,
        "period": period,
        "orgUnit": unit,
        "categoryOptionCombo": combo,
        "attributeOptionCombo": attribute,
        "value": number,
        "storedBy": "hmis",
        "created": updated,
        "lastUpdated": updated,
        "followup": False,
    }


def write_value_set_csv(path: Path, rows: Sequence[DataValue], *, core: bool) -> None:
    """Every non-empty cell quoted, empty cells bare (DHIS2's documented CSV example).

    ``core``: dhis2-core's current header (``categoryoptioncombo``, ``attributeoptioncombo``,
    ``deleted``); else the documentation's (``catoptcombo``, ``attroptcombo``).
    """
    header = CORE_CSV_HEADER if core else DOCS_CSV_HEADER

    def line(cells: Sequence[str]) -> str:
        return ",".join(f'"{c}"' if c else "" for c in cells)

    lines = [line(header)]
    for element, period, unit, combo, attribute, number, updated in rows:
        cells = [element, period, unit, combo, attribute, number, "hmis", updated, "", "false"]
        lines.append(line([*cells, "false"] if core else cells))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def write_value_set_json(path: Path, rows: Sequence[DataValue]) -> None:
    """``{"dataValues": [...]}``, compact, as the API returns it."""
    payload = {"dataValues": [value_json(v) for v in rows]}
    path.write_text(
        json.dumps(payload, ensure_ascii=False, separators=(",", ":")) + "\n", encoding="utf-8"
    )
