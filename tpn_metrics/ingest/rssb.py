"""RSSB's Friday CBHI progress update (shared/contracts.md §1)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd

from tpn_metrics.ingest.headers import RSSB_WEEKLY
from tpn_metrics.ingest.parsed import ParsedFile, reject_if_any, require_columns
from tpn_metrics.ingest.readers import RawTable, read_table
from tpn_metrics.ingest.validation import FrameValidator
from tpn_metrics.ingest.values import (
    CellError,
    is_blank,
    parse_count,
    parse_date,
    parse_number,
)
from tpn_metrics.names import NameResolver, UnknownNameError, normalise_name
from tpn_metrics.reference import district_resolver, load_districts

NATIONAL_TOTAL_KEYS = {normalise_name(n) for n in ("Total", "Rwanda", "National", "Grand total")}
MEMBERS_LIMIT_FACTOR = 1.5
# RSSB rounds its coverage to one decimal; beyond this the rate and the counts disagree.
COVERAGE_TOLERANCE_PP = 0.6
# A report dated before this is a typo in the year (0023 for 2023), not history: RSSB's weekly
# CBHI updates start long after. Mirrors the accreditation suite's "survey_year before 2000".
EARLIEST_REPORT_DATE = dt.date(2000, 1, 1)
_COUNTS = ("target_population", "members_paid", "households_paid", "amount_collected_rwf")


def _required() -> dict[str, str]:
    return {c.name: RSSB_WEEKLY.describe(c.name) for c in RSSB_WEEKLY.columns if c.required}


def _rows(
    table: RawTable, resolver: NameResolver
) -> tuple[list[dict[str, object]], dict[str, object] | None, list[str]]:
    rows: list[dict[str, object]] = []
    total: dict[str, object] | None = None
    problems: list[str] = []
    for line, record in table.records():
        name = record.get("district", "")
        parsed: dict[str, object] = {"line": line, "district_name_received": name}
        row_problems: list[str] = []
        for column in ("report_date",):
            try:
                parsed[column] = parse_date(record.get(column, ""))
            except CellError as error:
                row_problems.append(f"line {line}, {column}: {error}")
        for column in _COUNTS:
            text = record.get(column, "")
            if column not in table.columns or is_blank(text):
                if column in ("target_population", "members_paid"):
                    row_problems.append(f"line {line}, {column}: empty")
                parsed[column] = None
                continue
            try:
                parsed[column] = parse_count(text)
            except CellError as error:
                row_problems.append(f"line {line}, {column}: {error}")
        coverage = record.get("coverage_rate", "")
        parsed["coverage_rate_pct"] = None
        if "coverage_rate" in table.columns and not is_blank(coverage):
            try:
                parsed["coverage_rate_pct"] = parse_number(coverage)
            except CellError as error:
                row_problems.append(f"line {line}, coverage_rate: {error}")
        if normalise_name(name) in NATIONAL_TOTAL_KEYS:
            if not row_problems:
                total = parsed
            problems.extend(row_problems)
            continue
        try:
            parsed["district_id"] = resolver.resolve(name)
        except UnknownNameError as error:
            row_problems.append(f"line {line}: {error}")
        problems.extend(row_problems)
        rows.append(parsed)
    return rows, total, problems


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
    table = read_table(path, canonical=RSSB_WEEKLY.canonical, required=set(_required()))
    require_columns(table.columns, _required())
    resolver = district_resolver(seeds_dir)
    rows, total, problems = _rows(table, resolver)
    reject_if_any(problems)
    if not rows:
        reject_if_any(["the file has a header but no district rows"])
    frame = pd.DataFrame(rows).set_index(pd.RangeIndex(len(rows)))
    for column in _COUNTS:
        frame[column] = frame[column].astype("Int64")
    frame["report_date"] = pd.to_datetime(frame["report_date"])
    frame["members_paid_limit"] = frame["target_population"] * MEMBERS_LIMIT_FACTOR
    reject_if_any(validate("rssb_weekly", frame))
    frame["coverage_rate_pct"] = _coverage_scale(frame)

    problems = []
    earliest = frame["report_date"].min().date()
    if earliest < EARLIEST_REPORT_DATE:
        problems.append(
            f"report_date {earliest.isoformat()} is before {EARLIEST_REPORT_DATE.year}; "
            "check the year"
        )
    computed = frame["members_paid"] / frame["target_population"] * 100
    gap = (frame["coverage_rate_pct"] - computed).abs()
    for index in frame.index[gap.fillna(0) > COVERAGE_TOLERANCE_PP]:
        row = frame.loc[index]
        problems.append(
            f"line {row['line']}: coverage_rate {row['coverage_rate_pct']:.1f}% for "
            f"{row['district_name_received']} does not match members_paid / target_population "
            f"× 100 = {computed[index]:.1f}%; which one is right?"
        )
    if total is not None:
        for column in ("target_population", "members_paid", "households_paid"):
            expected = total.get(column)
            if expected is None or frame[column].isna().any():
                continue
            actual = int(frame[column].sum())
            if int(expected) != actual:  # type: ignore[call-overload]
                problems.append(
                    f"line {total['line']}: the national total {column} {int(expected):,} "  # type: ignore[call-overload]
                    f"differs from the sum of the districts {actual:,}"
                )
    reject_if_any(problems)

    report_date = frame["report_date"].iloc[0].date()
    warnings = [w for w in [table.cut_short_warning()] if w]
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
        kind="rssb_weekly",
        period_key=report_date.isoformat(),
        tables={"rssb_weekly": landing},
        warnings=tuple(warnings),
        details={"format": table.source_format},
    )
