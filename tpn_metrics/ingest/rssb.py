"""RSSB's Friday CBHI progress update (docs/contracts.md §1)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import SupportsInt, cast

import pandas as pd

from tpn_metrics.ingest.headers import RSSB_WEEKLY
from tpn_metrics.ingest.parsed import ParsedFile, naming_sheet, reject_if_any, require_columns
from tpn_metrics.ingest.readers import RawTable, read_table
from tpn_metrics.ingest.report_dates import DateReading, settle
from tpn_metrics.ingest.row_labels import is_national_total, province_subtotal
from tpn_metrics.ingest.validation import FrameValidator
from tpn_metrics.ingest.values import (
    CellError,
    is_blank,
    month_first_reading,
    parse_count,
    parse_date,
    parse_number,
)
from tpn_metrics.ingest.vocabulary import FileKind
from tpn_metrics.names import NameResolver, UnknownNameError
from tpn_metrics.reference import district_resolver, load_districts

MEMBERS_LIMIT_FACTOR = 1.5
# RSSB rounds its coverage to one decimal; beyond this the rate and the counts disagree.
COVERAGE_TOLERANCE_PP = 0.6
# A report dated before this is a typo in the year (0023 for 2023), not history: RSSB's weekly
# CBHI updates start long after. Mirrors the accreditation suite's "survey_year before 2000".
EARLIEST_REPORT_DATE = dt.date(2000, 1, 1)
_COUNTS = ("target_population", "members_paid", "households_paid", "amount_collected_rwf")


def _required() -> dict[str, str]:
    return {c.name: RSSB_WEEKLY.describe(c.name) for c in RSSB_WEEKLY.columns if c.required}


def _counts(
    record: dict[str, str],
    table: RawTable,
    line: int,
    parsed: dict[str, object],
    *,
    is_total: bool = False,
) -> list[str]:
    """Parse the count columns into ``parsed``; a total row may leave any of them empty."""
    problems = []
    decimal_comma = table.source_format == "csv;"
    for column in _COUNTS:
        text = record.get(column, "")
        if column not in table.columns or is_blank(text):
            if column in ("target_population", "members_paid") and not is_total:
                problems.append(f"line {line}, {column}: empty")
            parsed[column] = None
            continue
        try:
            parsed[column] = parse_count(text, decimal_comma=decimal_comma)
        except CellError as error:
            problems.append(f"line {line}, {column}: {error}")
    return problems


def _rows(
    table: RawTable, resolver: NameResolver
) -> tuple[list[dict[str, object]], list[dict[str, object]], list[str], list[DateReading]]:
    """(district rows, total and subtotal rows, problems, report date readings)."""
    rows: list[dict[str, object]] = []
    totals: list[dict[str, object]] = []
    problems: list[str] = []
    dates: list[DateReading] = []
    unlabelled: list[dict[str, object]] = []
    for line, record in table.records():
        name = record.get("district", "")
        label = name or record.get("report_date", "")
        parsed: dict[str, object] = {"line": line, "district_name_received": name}
        province = province_subtotal(label)
        if is_national_total(label) or province:
            # A total row is checked against the districts, never stored; its date cell is
            # usually empty, and is not needed.
            parsed["label"], parsed["province"] = label, province
            row_problems = _counts(record, table, line, parsed, is_total=True)
            problems.extend(row_problems)
            if not row_problems:
                totals.append(parsed)
            continue
        if not name.strip() and not _counts(record, table, line, dict(parsed), is_total=True):
            # No district: the national total without its label, if its sums say so.
            _counts(record, table, line, parsed, is_total=True)
            unlabelled.append(parsed)
            continue
        row_problems = []
        text = record.get("report_date", "")
        try:
            day = parse_date(text, epoch=table.epoch)
            dates.append(DateReading(text, day, month_first_reading(text)))
            parsed["report_date_text"] = text
        except CellError as error:
            other = month_first_reading(text)
            if other is None:
                row_problems.append(f"line {line}, report_date: {error}")
            else:  # 03/24/2023: a date only month-first
                dates.append(DateReading(text, None, other))
                parsed["report_date_text"] = text
        row_problems.extend(_counts(record, table, line, parsed))
        coverage = record.get("coverage_rate", "")
        parsed["coverage_rate_pct"] = None
        if "coverage_rate" in table.columns and not is_blank(coverage):
            try:
                parsed["coverage_rate_pct"] = parse_number(coverage)
            except CellError as error:
                row_problems.append(f"line {line}, coverage_rate: {error}")
        try:
            parsed["district_id"] = resolver.resolve(name)
        except UnknownNameError as error:
            row_problems.append(f"line {line}: {error}")
        problems.extend(row_problems)
        date_only = "report_date_text" not in parsed and len(row_problems) == 1
        parsed["is_clean"] = not row_problems or date_only  # its counts can still be checked
        rows.append(parsed)
    for row in unlabelled:
        sums = [sum(_whole(r.get(c)) for r in rows) for c in ("target_population", "members_paid")]
        if [row.get("target_population"), row.get("members_paid")] == sums and sums[1]:
            row["label"], row["province"] = "(no label: the national total)", None
            totals.append(row)
        else:
            problems.append(f"line {row['line']}: district is empty")
    return rows, totals, problems, dates


def _check_totals(
    frame: pd.DataFrame, totals: list[dict[str, object]], provinces: dict[str, str]
) -> list[str]:
    """National totals against all districts, province subtotals against their districts."""
    problems = []
    for total in totals:
        province = total["province"]
        rows = frame if province is None else frame[frame["district_id"].map(provinces) == province]
        what = "national total" if province is None else f"{province} subtotal ('{total['label']}')"
        whose = "the districts" if province is None else "its districts in the file"
        for column in ("target_population", "members_paid", "households_paid"):
            expected = total.get(column)
            if expected is None or rows[column].isna().any():
                continue
            actual = int(rows[column].sum())
            if int(expected) != actual:  # type: ignore[call-overload]
                problems.append(
                    f"line {total['line']}: the {what} {column} {int(expected):,} "  # type: ignore[call-overload]
                    f"differs from the sum of {whose} {actual:,}"
                )
    return problems


def _row_checks(frame: pd.DataFrame) -> list[str]:
    """The year's plausibility and RSSB's coverage rate against its own counts."""
    problems = []
    earliest = frame["report_date"].min().date()
    if earliest < EARLIEST_REPORT_DATE:
        problems.append(
            f"report_date {earliest.isoformat()} is before {EARLIEST_REPORT_DATE.year}; "
            "check the year"
        )
    computed = (
        frame["members_paid"]
        / frame["target_population"].where(frame["target_population"] > 0)
        * 100
    )
    # A negative count is refused on its own; its coverage would only repeat it.
    computed = computed.where(frame["members_paid"] >= 0)
    gap = (frame["coverage_rate_pct"] - computed).abs()
    for index in frame.index[gap.fillna(0) > COVERAGE_TOLERANCE_PP]:
        row = frame.loc[index]
        problems.append(
            f"line {row['line']}: coverage_rate {row['coverage_rate_pct']:.1f}% for "
            f"{row['district_name_received']} does not match members_paid / target_population "
            f"× 100 = {computed[index]:.1f}%; which one is right?"
        )
    return problems


def _whole(value: object) -> int:
    """A parsed count (int, or None when missing) as a number to add: None counts 0."""
    return int(cast("SupportsInt", value or 0))


def _typed_frame(rows: list[dict[str, object]]) -> pd.DataFrame:
    frame = pd.DataFrame(rows).set_index(pd.RangeIndex(len(rows)))
    for column in _COUNTS:
        frame[column] = frame[column].astype("Int64")
    frame["report_date"] = pd.to_datetime(frame["report_date"])
    frame["members_paid_limit"] = frame["target_population"] * MEMBERS_LIMIT_FACTOR
    return frame


def _coverage_scale(frame: pd.DataFrame) -> pd.Series:
    """RSSB's own coverage column in percent, whether it was sent as 85.2 or 0.852.

    Read as fractions when every value is at most 1.5 and, times 100, they fit the counts
    better than as they are: early in a fiscal year every district can be under 1.5 %, and
    ``1.5`` then means 1.5 %, not 150 %.
    """
    given = frame["coverage_rate_pct"].astype("Float64")
    computed = frame["members_paid"] / frame["target_population"] * 100
    present = given.dropna()
    if len(present) and (present <= 1.5).all():
        expected = computed[present.index]
        as_percent = (present - expected).abs().max()
        as_fraction = (present * 100 - expected).abs().max()
        if as_fraction < as_percent:
            return given * 100
    return given


def parse_rssb_weekly(path: Path, *, seeds_dir: Path, validate: FrameValidator) -> ParsedFile:
    """Read, check and type one file; refusals about a workbook name the sheet read."""
    table = read_table(path, canonical=RSSB_WEEKLY.canonical, required=set(_required()))
    with naming_sheet(table.sheet):
        return _parse_table(table, seeds_dir=seeds_dir, validate=validate)


def _parse_table(table: RawTable, *, seeds_dir: Path, validate: FrameValidator) -> ParsedFile:
    require_columns(table.columns, _required())
    resolver = district_resolver(seeds_dir)
    rows, totals, problems, dates = _rows(table, resolver)
    chosen, date_problems, date_warnings = settle(dates)
    problems.extend(date_problems)
    if not rows:
        reject_if_any(problems or ["the file has a header but no district rows"])
    # A row whose only problem is its date is still checked (counts, duplicates), under the
    # file's date, so that the refusal lists its other problems too; the date problem alone
    # refuses the file.
    stand_in = min(chosen.values(), default=EARLIEST_REPORT_DATE)
    for row in rows:
        text = row.pop("report_date_text", None)
        row["report_date"] = chosen.get(str(text)) if text is not None else stand_in
    # The suite runs on every row that parsed, even when others did not, so one refusal
    # lists every problem (an unknown district and a duplicated one).
    clean = [r for r in rows if r.pop("is_clean") and r["report_date"] is not None]
    frame = _typed_frame(clean) if clean else None
    if frame is not None:
        problems.extend(validate("rssb_weekly", frame))
        frame["coverage_rate_pct"] = _coverage_scale(frame)
        problems.extend(_row_checks(frame))
        if not problems:  # a total can only be judged when every district row is good
            provinces = {d.district_id: d.province for d in load_districts(seeds_dir)}
            problems.extend(_check_totals(frame, totals, provinces))
    reject_if_any(problems)
    assert frame is not None

    report_date = frame["report_date"].iloc[0].date()
    warnings = [
        w for w in [table.sheets_warning(), table.cut_short_warning(), table.notes_warning()] if w
    ]
    warnings.extend(date_warnings)
    all_districts = load_districts(seeds_dir)
    missing = sorted(
        d.district_name for d in all_districts if d.district_id not in set(frame["district_id"])
    )
    if missing:
        warnings.append(
            f"{len(missing)} of {len(all_districts)} districts missing: {', '.join(missing)}"
        )
    landing = pd.DataFrame(
        {
            "report_date": frame["report_date"].dt.date,
            "district_id": frame["district_id"],
            "district_name_received": frame["district_name_received"],
            "target_population": frame["target_population"],
            "members_paid": frame["members_paid"],
            "households_paid": frame["households_paid"],
            "amount_collected_rwf": frame["amount_collected_rwf"],
            "coverage_rate_pct": frame["coverage_rate_pct"].astype("Float64"),
        }
    )
    return ParsedFile(
        kind=FileKind.RSSB_WEEKLY,
        period_key=report_date.isoformat(),
        tables={"rssb_weekly": landing},
        warnings=tuple(warnings),
        details={"format": table.source_format, **({"sheet": table.sheet} if table.sheet else {})},
    )
