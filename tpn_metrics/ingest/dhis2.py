"""DHIS2 (HMIS) exports: read, resolve and check one file for ``landing.dhis2_data_values``.

Formats: :mod:`tpn_metrics.ingest.dhis2_formats` (analytics JSON/CSV, dataValueSets
JSON/CSV); periods: :mod:`tpn_metrics.ingest.dhis2_periods`; uids to our districts and
hospitals: :mod:`tpn_metrics.ingest.dhis2_resolve`. The contract is docs/contracts.md
§ "DHIS2 exports"; every problem of a file is refused at once, grouped by kind.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from tpn_metrics.ingest.dhis2_checks import (
    exported_factor,
    nested_org_units,
    parse_dhis2_number,
    reconcile,
    rescale_warnings,
)
from tpn_metrics.ingest.dhis2_formats import DHIS2Export, RawValue, read_export
from tpn_metrics.ingest.dhis2_periods import VALID_EXAMPLES, Period, PeriodError, parse_period
from tpn_metrics.ingest.dhis2_resolve import DataItem, OrgUnit, find_data_item, resolve_org_unit
from tpn_metrics.ingest.errors import FileRejectedError
from tpn_metrics.ingest.parsed import ParsedFile, group_problems, line_ranges, reject_if_any
from tpn_metrics.ingest.readers import check_size
from tpn_metrics.ingest.validation import FrameValidator
from tpn_metrics.ingest.vocabulary import FileKind
from tpn_metrics.names import UnknownNameError

LANDING_COLUMNS = (
    "source_format",
    "data_item_uid",
    "data_item_name_received",
    "item_code",
    "category_option_combo_uid",
    "attribute_option_combo_uid",
    "period_id",
    "period_type",
    "period_start",
    "period_end",
    "org_unit_uid",
    "org_unit_name_received",
    "org_unit_level",
    "district_id",
    "hospital_id",
    "value",
    "numerator",
    "denominator",
    "row_number",
)
_KEY = (
    "data_item_uid",
    "category_option_combo_uid",
    "attribute_option_combo_uid",
    "period_id",
    "org_unit_uid",
)


@dataclass
class _Problems:
    """Problems of one file, kept by kind so each kind is one sentence."""

    unit: str
    by_kind: dict[str, list[int]] = field(default_factory=dict)
    order: list[str] = field(default_factory=list)
    examples: dict[str, str] = field(default_factory=dict)
    # (item_code, uid) -> (seed factor, DHIS2 factors, rows) of rescaled denominators
    rescaled: dict[tuple[str, str], tuple[float, set[float], int]] = field(default_factory=dict)

    def add(self, message: str, number: int, example: str = "") -> None:
        """Note ``message`` (its text stands for its kind) for row/line ``number``; the first
        ``example`` of a kind is shown with it."""
        if message not in self.by_kind:
            self.by_kind[message] = []
            self.order.append(message)
            if example:
                self.examples[message] = f"{self.unit} {number}: {example}"
        self.by_kind[message].append(number)

    def sentences(self) -> list[str]:
        """``lines 3–5: …`` per kind, in order of first appearance."""
        out = []
        for message in self.order:
            numbers = self.by_kind[message]
            word = self.unit if len(set(numbers)) == 1 else f"{self.unit}s"
            example = f"; e.g. {self.examples[message]}" if message in self.examples else ""
            out.append(f"{message} ({word} {line_ranges(numbers)}{example})")
        return out


def _resolve_rows(
    export: DHIS2Export, seeds_dir: Path
) -> tuple[list[dict[str, object]], _Problems, dict[str, int]]:
    problems = _Problems(export.unit)
    rows: list[dict[str, object]] = []
    periods: dict[str, Period | str] = {}
    org_units: dict[str, OrgUnit | str] = {}
    placed_by: dict[str, int] = {}
    for raw in export.values:
        row = _resolve_one(raw, export, seeds_dir, problems, periods, org_units)
        if row is not None:
            rows.append(row)
    for outcome in org_units.values():
        if isinstance(outcome, OrgUnit):
            placed_by[outcome.how] = placed_by.get(outcome.how, 0) + 1
    return rows, problems, placed_by


def _resolve_one(
    raw: RawValue,
    export: DHIS2Export,
    seeds_dir: Path,
    problems: _Problems,
    periods: dict[str, Period | str],
    org_units: dict[str, OrgUnit | str],
) -> dict[str, object] | None:
    f, n, ok = raw.fields, raw.number, True
    for column in ("data_item_uid", "period_id", "org_unit_uid"):
        if not f[column]:
            problems.add(f"{column.removesuffix('_uid').replace('_', ' ')} is empty", n)
            ok = False
    if not ok:
        return None
    item = find_data_item(seeds_dir, f["data_item_uid"])
    if item is None:
        name = export.names.get(f["data_item_uid"])
        shown = f"'{f['data_item_uid']}'" + (f" ({name})" if name else "")
        problems.add(
            f"unknown data element or indicator {shown}: add it to dhis2_data_items.csv "
            "or remove it from the export",
            n,
        )
        ok = False
    if f["period_id"] not in periods:
        try:
            periods[f["period_id"]] = parse_period(f["period_id"])
        except PeriodError as error:
            periods[f["period_id"]] = str(error)
    period = periods[f["period_id"]]
    if isinstance(period, str):
        problems.add(f"period {period}; valid ids look like {VALID_EXAMPLES}", n)
        ok = False
    if f["org_unit_uid"] not in org_units:
        try:
            org_units[f["org_unit_uid"]] = resolve_org_unit(
                seeds_dir, f["org_unit_uid"], export.names, export.hierarchy
            )
        except UnknownNameError as error:
            org_units[f["org_unit_uid"]] = str(error)
    org_unit = org_units[f["org_unit_uid"]]
    if isinstance(org_unit, str):
        problems.add(org_unit, n)
        ok = False
    numbers: dict[str, float | None] = {}
    for column in ("value", "numerator", "denominator", "factor", "multiplier", "divisor"):
        if column != "value" and not f[column]:
            numbers[column] = None
            continue
        try:
            numbers[column] = parse_dhis2_number(f[column])
        except ValueError:
            problems.add(f"{column} '{f[column]}' is not a number", n)
            ok = False
            continue
        if (numbers[column] or 0) < 0:
            problems.add(
                f"{column} '{f[column]}' is negative: counts, rates and percentages are never "
                "negative",
                n,
            )
            ok = False
    if ok and item is not None:
        ok = _on_seed_factor(numbers, item[0], problems, n)
    if not ok:
        return None
    assert item is not None and isinstance(period, Period) and isinstance(org_unit, OrgUnit)
    data_item, operand_combo = item
    return {
        "data_item_uid": data_item.dhis2_uid,
        "data_item_name_received": export.names.get(f["data_item_uid"]),
        "item_code": data_item.item_code,
        "category_option_combo_uid": f["category_option_combo_uid"] or operand_combo,
        "attribute_option_combo_uid": f["attribute_option_combo_uid"] or None,
        "period_id": period.period_id,
        "period_type": period.period_type,
        "period_start": period.start,
        "period_end": period.end,
        "org_unit_uid": f["org_unit_uid"],
        "org_unit_name_received": export.names.get(f["org_unit_uid"]),
        "org_unit_level": org_unit.level,
        "district_id": org_unit.district_id,
        "hospital_id": org_unit.hospital_id,
        "value": numbers["value"],
        "numerator": numbers["numerator"],
        "denominator": numbers["denominator"],
        "row_number": n,
    }


def _on_seed_factor(
    numbers: dict[str, float | None], item: DataItem, problems: _Problems, n: int
) -> bool:
    """Rescale ``numbers["denominator"]`` to the seed's factor (noted for a warning); False,
    with the problem noted, when value and numerator / denominator × factor disagree."""
    value = numbers["value"]
    assert value is not None
    exported = exported_factor(numbers["multiplier"], numbers["divisor"], numbers["factor"])
    done = reconcile(value, numbers["numerator"], numbers["denominator"], exported, item.factor)
    if done.disagreement is not None:
        problems.add(
            f"{item.item_code}: the value is not numerator / denominator × factor beyond "
            "rounding; export value, numerator and denominator from one analytics run",
            n,
            done.disagreement,
        )
        return False
    if done.rescaled_from is not None:
        key = (item.item_code, item.dhis2_uid)
        seed, factors, count = problems.rescaled.get(key, (item.factor, set(), 0))
        problems.rescaled[key] = (seed, factors | {done.rescaled_from}, count + 1)
    numbers["denominator"] = done.denominator
    return True


def _duplicates(frame: pd.DataFrame, unit: str) -> list[str]:
    """The same value (data item, combos, period, org unit) twice in one file."""
    keyed = frame[list(_KEY)].fillna("")
    twice = frame[keyed.duplicated(keep=False)]
    out = []
    for _, group in twice.groupby([keyed.loc[twice.index, k] for k in _KEY], sort=False):
        first = group.iloc[0]
        numbers = [int(x) for x in group["row_number"]]
        out.append(
            f"{first['item_code']} for {first['org_unit_name_received'] or first['org_unit_uid']}"
            f", {first['period_id']} is given {len(group)} times ({unit}s {line_ranges(numbers)}):"
            " send each value once"
        )
    return out


def period_key(periods: Iterable[tuple[object, str]]) -> str:
    """``<first>..<last>`` period ids by start date (``202101..202312``); one period alone."""
    ordered = sorted(set(periods))
    first, last = ordered[0][1], ordered[-1][1]
    return first if first == last else f"{first}..{last}"


def parse_dhis2(path: Path, *, seeds_dir: Path, validate: FrameValidator) -> ParsedFile:
    """Read one DHIS2 export into ``{"dhis2_data_values": frame}`` (``LANDING_COLUMNS``).

    Values are floats in DHIS2's own unit; ``period_start``/``period_end`` dates;
    ``row_number`` the file's line (CSV) or entry (JSON, from 1). Raises FileRejectedError with
    every problem (unknown data item or org unit, bad period, non-number, no values, a value
    given twice) or ValidationCrashError when the ``dhis2_data_values`` suite cannot run.
    """
    check_size(path)
    export = read_export(path.read_bytes())
    rows, problems, placed_by = _resolve_rows(export, seeds_dir)
    reject_if_any(group_problems(problems.sentences()))
    if not rows:
        skipped = export.skipped_deleted + export.skipped_blank
        raise FileRejectedError(
            "the file holds no data values"
            + (f" ({skipped} entries deleted or without a value)" if skipped else "")
            + ": export a period and org units that have data"
        )
    frame = pd.DataFrame(rows).assign(source_format=export.source_format)
    frame = frame[list(LANDING_COLUMNS)]
    for column in ("value", "numerator", "denominator"):
        frame[column] = frame[column].astype("Float64")
    frame["row_number"] = frame["row_number"].astype("Int64")
    reject_if_any(_duplicates(frame, export.unit))
    reject_if_any(nested_org_units(frame, export.hierarchy, export.unit))
    reject_if_any(validate("dhis2_data_values", frame))
    warnings = rescale_warnings(problems.rescaled)
    if export.skipped_deleted:
        warnings.append(f"{export.skipped_deleted} deleted value(s) not loaded")
    if export.skipped_blank:
        warnings.append(f"{export.skipped_blank} entries without a value not loaded")
    if placed_by.get("near_name"):
        warnings.append(
            f"{placed_by['near_name']} org unit(s) not in dhis2_org_units.csv placed as hospitals "
            "by a near (not exact) name: add their uids to dhis2_org_units.csv"
        )
    if placed_by.get("hierarchy"):
        warnings.append(
            f"{placed_by['hierarchy']} org unit(s) not in dhis2_org_units.csv placed as "
            "health centres of their district through the export's ouHierarchy"
        )
    return ParsedFile(
        kind=FileKind.DHIS2,
        period_key=period_key(zip(frame["period_start"], frame["period_id"], strict=True)),
        tables={"dhis2_data_values": frame},
        warnings=tuple(warnings),
        details={"format": export.source_format},
    )
