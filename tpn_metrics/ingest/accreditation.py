"""MOH's annual hospital accreditation results (docs/contracts.md §2)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from tpn_metrics.ingest.headers import ACCREDITATION
from tpn_metrics.ingest.parsed import ParsedFile, naming_sheet, reject_if_any, require_columns
from tpn_metrics.ingest.readers import RawTable, read_table
from tpn_metrics.ingest.row_labels import is_summary_label
from tpn_metrics.ingest.validation import FrameValidator
from tpn_metrics.ingest.values import CellError, is_blank, parse_count, parse_number
from tpn_metrics.ingest.vocabulary import FileKind
from tpn_metrics.names import UnknownNameError
from tpn_metrics.reference import district_resolver, load_hospitals, resolve_hospital_in_district

SCORES = ("level_1_score", "level_2_score", "level_3_score")


def _required() -> dict[str, str]:
    return {c.name: ACCREDITATION.describe(c.name) for c in ACCREDITATION.columns if c.required}


def decide_scale(values: list[float]) -> str:
    """'fraction' when every score is in 0–1, 'percent' when in 0–100; a mix is refused.

    A zero fits both, so it does not decide; a file of only zeros is read as percent.
    """
    fraction_like = [v for v in values if 0 < v <= 1]
    percent_like = [v for v in values if v > 1]
    if fraction_like and percent_like:
        raise CellError(
            "scores mix fractions (0–1, e.g. "
            f"{fraction_like[0]}) and percentages (0–100, e.g. {percent_like[0]}); "
            "send the whole file in one form"
        )
    return "fraction" if fraction_like else "percent"


def parse_accreditation(path: Path, *, seeds_dir: Path, validate: FrameValidator) -> ParsedFile:
    """Read, check and type one file; refusals about a workbook name the sheet read."""
    table = read_table(path, canonical=ACCREDITATION.canonical, required=set(_required()))
    with naming_sheet(table.sheet):
        return _parse_table(table, seeds_dir=seeds_dir, validate=validate)


def _parse_table(table: RawTable, *, seeds_dir: Path, validate: FrameValidator) -> ParsedFile:
    require_columns(table.columns, _required())
    districts = district_resolver(seeds_dir)
    seed_hospitals = {h.hospital_id: h for h in load_hospitals(seeds_dir)}
    rows: list[dict[str, object]] = []
    problems: list[str] = []
    warnings: list[str] = []
    summaries: list[str] = []
    for line, record in table.records():
        label = record["hospital"] or record.get("survey_year", "")
        if is_summary_label(label) and not districts.exact(record.get("district", "")):
            # "Average", "Total", "Southern Province": a row over hospitals, not one of them.
            summaries.append(f"line {line}: {label}")
            continue
        row: dict[str, object] = {"line": line, "hospital_name_received": record["hospital"]}
        try:
            row["survey_year"] = parse_count(record["survey_year"])
        except CellError as error:
            problems.append(f"line {line}, survey_year: {error}")
        try:
            district_id = districts.resolve(record.get("district", ""))
            row["hospital_id"] = resolve_hospital_in_district(
                seeds_dir, record["hospital"], district_id
            )
        except UnknownNameError as error:
            problems.append(f"line {line}: {error}")
            continue
        known = seed_hospitals[str(row["hospital_id"])]
        row["district_id"] = known.district_id
        row["hospital_category"] = (record.get("hospital_category") or "").strip().lower() or (
            known.hospital_category
        )
        for score in SCORES:
            text = record.get(score, "")
            if score not in table.columns or is_blank(text):
                if score != "level_3_score":
                    problems.append(f"line {line}, {score}: empty")
                row[score] = None
                continue
            try:
                row[score] = parse_number(text)
            except CellError as error:
                problems.append(f"line {line}, {score}: {error}")
        rows.append(row)
    # Checked here as well as by the suite, so they are listed beside the other problems.
    seen: dict[object, list[dict[str, object]]] = {}
    for row in rows:
        seen.setdefault(row["hospital_id"], []).append(row)
    problems.extend(
        f"hospital '{row['hospital_name_received']}' appears more than once (line {row['line']})"
        for same in seen.values()
        if len(same) > 1
        for row in same
    )
    reject_if_any(problems)
    if not rows:
        reject_if_any(["the file has a header but no hospital rows"])
    values = [float(v) for r in rows for s in SCORES if (v := r.get(s)) is not None]  # type: ignore[arg-type]
    try:
        scale = decide_scale(values)
    except CellError as error:
        reject_if_any([str(error)])
        raise
    factor = 100.0 if scale == "fraction" else 1.0
    frame = pd.DataFrame(rows)
    for score in SCORES:
        frame[f"{score}_pct"] = (frame[score].astype("Float64") * factor).round(4)
    frame["survey_year"] = frame["survey_year"].astype("Int64")
    reject_if_any(validate("accreditation_results", frame))
    warnings.extend(
        w for w in (table.sheets_warning(), table.cut_short_warning(), table.notes_warning()) if w
    )
    if summaries:
        warnings.append(
            f"{len(summaries)} summary row(s) not loaded as hospitals: {'; '.join(summaries[:5])}"
        )
    landing = frame[
        [
            "survey_year",
            "hospital_id",
            "hospital_name_received",
            "district_id",
            "hospital_category",
            "level_1_score_pct",
            "level_2_score_pct",
            "level_3_score_pct",
        ]
    ].assign(score_scale=scale)
    return ParsedFile(
        kind=FileKind.ACCREDITATION,
        period_key=str(int(frame["survey_year"].iloc[0])),
        tables={"accreditation_results": landing},
        warnings=tuple(warnings),
        details={
            "score_scale": scale,
            "format": table.source_format,
            **({"sheet": table.sheet} if table.sheet else {}),
        },
    )
