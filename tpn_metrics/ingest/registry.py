"""The TPN registry kept by the programme team (docs/contracts.md §3).

It arrives as a folder of CSVs (institutions.csv, priorities.csv, ...) or one XLSX with one
sheet per table. A registry is always whole: a new one replaces the previous one entirely.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pandas as pd

from tpn_metrics.ingest.errors import FileRejectedError
from tpn_metrics.ingest.headers import REGISTRY_SHEETS, Layout
from tpn_metrics.ingest.parsed import ParsedFile, reject_if_any, require_columns
from tpn_metrics.ingest.readers import RawTable, check_size, read_table, table_from_rows
from tpn_metrics.ingest.validation import FrameValidator
from tpn_metrics.ingest.values import CellError, is_blank, parse_bool, parse_count, parse_date
from tpn_metrics.ingest.vocabulary import FileKind
from tpn_metrics.ingest.xlsx import read_workbook
from tpn_metrics.names import UnknownNameError, fold
from tpn_metrics.reference import district_resolver, resolve_hospital_in_district

_INSTITUTION_COLUMNS = [
    "line",
    "institution_id",
    "institution_name",
    "institution_kind",
    "hospital_id",
    "hospital_category",
    "district_id",
    "is_tpn_member",
    "joined_on",
]
_PRIORITY_COLUMNS = ["line", "institution_id", "topic", "priority_rank", "chosen_on"]
_PAIR_COLUMNS = [
    "line",
    "rising_institution_id",
    "shining_institution_id",
    "topic",
    "started_on",
    "ended_on",
]
EVENT_KINDS = {"launch_workshop", "coaching_visit", "exchange_visit", "learning_event"}
OPTIONAL_SHEETS = {"strengths", "events"}


def _required(layout: Layout) -> dict[str, str]:
    return {c.name: layout.describe(c.name) for c in layout.columns if c.required}


@contextmanager
def _naming(part: str) -> Iterator[None]:
    """Say which file (or sheet) of the registry a refusal is about."""
    try:
        yield
    except FileRejectedError as error:
        raise FileRejectedError([f"{part}: {reason}" for reason in error.reasons]) from error


def read_registry_tables(path: Path) -> dict[str, RawTable]:
    """{table name: raw table} of a registry folder (one CSV per table) or workbook (one
    sheet per table). Raises FileRejectedError naming the file or sheet at fault."""
    tables: dict[str, RawTable] = {}
    if path.is_dir():
        for name, layout in REGISTRY_SHEETS.items():
            candidate = path / f"{name}.csv"
            if candidate.exists():
                with _naming(f"{name}.csv"):
                    tables[name] = read_table(
                        candidate, canonical=layout.canonical, required=set(_required(layout))
                    )
    else:
        check_size(path)
        workbook = read_workbook(path.read_bytes())
        sheets = {fold(s.title).replace(" ", "_"): s for s in workbook.visible_sheets()}
        for name, layout in REGISTRY_SHEETS.items():
            if name in sheets:
                with _naming(f"sheet {sheets[name].title}"):
                    tables[name] = table_from_rows(
                        [list(r) for r in sheets[name].rows],
                        source_format="xlsx",
                        canonical=layout.canonical,
                        required=set(_required(layout)),
                        sheet=sheets[name].title,
                        epoch=workbook.epoch,
                    )
    missing = [n for n in REGISTRY_SHEETS if n not in tables and n not in OPTIONAL_SHEETS]
    if missing:
        raise FileRejectedError(
            f"the registry lacks {', '.join(missing)} (expected {', '.join(REGISTRY_SHEETS)} "
            "as CSV files in one folder or sheets of one XLSX)"
        )
    problems: list[str] = []  # every table's missing columns, not only the first table's
    for name, table in tables.items():
        try:
            require_columns(table.columns, _required(REGISTRY_SHEETS[name]))
        except FileRejectedError as error:
            problems.extend(f"{name}: {r}" for r in error.reasons)
    if problems:
        raise FileRejectedError(problems)
    return tables


def _optional_date(
    text: str, where: str, problems: list[str], epoch: dt.datetime | None = None
) -> dt.date | None:
    if is_blank(text):
        return None
    try:
        return parse_date(text, epoch=epoch)
    except CellError as error:
        problems.append(f"{where}: {error}")
        return None


def parse_registry(path: Path, *, seeds_dir: Path, validate: FrameValidator) -> ParsedFile:
    """Parse and validate a TPN registry (institutions, priorities, strengths, pairs, events).

    Names resolve against the seeds in ``seeds_dir``; raises FileRejectedError listing every
    problem, ValidationCrashError when validation itself fails.
    """
    tables = read_registry_tables(path)
    districts = district_resolver(seeds_dir)
    problems: list[str] = []

    institutions = []
    for line, r in tables["institutions"].records():
        where = f"institutions line {line}"
        kind = r.get("kind", "").strip().lower()
        row: dict[str, object] = {
            "line": line,
            "institution_id": r["institution_id"],
            "institution_name": r["name"],
            "institution_kind": kind,
            "hospital_id": None,
            "hospital_category": (r.get("hospital_category") or "").strip().lower() or None,
        }
        try:
            row["district_id"] = districts.resolve(r["district"])
            if kind == "hospital":  # a hospital is resolved within its own district only
                row["hospital_id"] = resolve_hospital_in_district(
                    seeds_dir, r["name"], str(row["district_id"])
                )
        except UnknownNameError as error:
            problems.append(f"{where}: {error}")
        try:
            row["is_tpn_member"] = parse_bool(r["is_tpn_member"])
        except CellError as error:
            problems.append(f"{where}, is_tpn_member: {error}")
        row["joined_on"] = _optional_date(
            r.get("joined_on", ""), where, problems, tables["institutions"].epoch
        )
        institutions.append(row)
    known = {str(r["institution_id"]) for r in institutions}

    def check_known(value: str, where: str) -> None:
        if value not in known:
            problems.append(f"{where}: institution '{value}' is not in institutions")

    priorities = []
    for line, r in tables["priorities"].records():
        where = f"priorities line {line}"
        check_known(r["institution_id"], where)
        try:
            rank = parse_count(r["rank"])
        except CellError as error:
            problems.append(f"{where}, rank: {error}")
            rank = 0
        priorities.append(
            {
                "line": line,
                "institution_id": r["institution_id"],
                "topic": r["topic"].strip().lower(),
                "priority_rank": rank,
                "chosen_on": _optional_date(
                    r.get("chosen_on", ""), where, problems, tables["priorities"].epoch
                ),
            }
        )
    strengths = []
    if "strengths" in tables:
        for line, r in tables["strengths"].records():
            check_known(r["institution_id"], f"strengths line {line}")
            strengths.append(
                {"institution_id": r["institution_id"], "topic": r["topic"].strip().lower()}
            )
    pairs = []
    for line, r in tables["pairs"].records():
        where = f"pairs line {line}"
        check_known(r["rising_id"], where)
        check_known(r["shining_id"], where)
        if r["rising_id"] == r["shining_id"]:
            problems.append(f"{where}: '{r['rising_id']}' is paired with itself")
        pairs.append(
            {
                "line": line,
                "rising_institution_id": r["rising_id"],
                "shining_institution_id": r["shining_id"],
                "topic": r["topic"].strip().lower(),
                "started_on": _optional_date(
                    r.get("started_on", ""), where, problems, tables["pairs"].epoch
                ),
                "ended_on": _optional_date(
                    r.get("ended_on", ""), where, problems, tables["pairs"].epoch
                ),
            }
        )
    events = []
    if "events" in tables:
        for number, (line, r) in enumerate(tables["events"].records(), start=1):
            where = f"events line {line}"
            kind = r["kind"].strip().lower()
            if kind not in EVENT_KINDS:
                problems.append(
                    f"{where}: kind '{r['kind']}' is not one of {', '.join(sorted(EVENT_KINDS))}"
                )
            ids = [i.strip() for i in r["institution_ids"].split(";") if i.strip()]
            for institution_id in ids:
                check_known(institution_id, where)
            event_date = _optional_date(r["event_date"], where, problems, tables["events"].epoch)
            if event_date is None:
                problems.append(f"{where}: event_date is empty")
            events.append(
                {
                    "event_number": number,
                    "event_date": event_date,
                    "event_kind": kind,
                    "topic": (r.get("topic") or "").strip().lower() or None,
                    "institution_ids": ";".join(ids),
                }
            )
    reject_if_any(problems)

    # Built with their columns named, so a table that holds only its header is zero rows.
    frames = {
        "tpn_institutions": pd.DataFrame(institutions, columns=_INSTITUTION_COLUMNS),
        "tpn_priorities": pd.DataFrame(priorities, columns=_PRIORITY_COLUMNS),
        "tpn_pairs": pd.DataFrame(pairs, columns=_PAIR_COLUMNS),
    }
    for table, frame in frames.items():
        if frame.empty:
            continue
        reject_if_any(validate(table, frame))
    landing = {name: frame.drop(columns=["line"]) for name, frame in frames.items()}
    landing["tpn_strengths"] = pd.DataFrame(strengths, columns=["institution_id", "topic"])
    landing["tpn_events"] = pd.DataFrame(
        events,
        columns=["event_number", "event_date", "event_kind", "topic", "institution_ids"],
    )
    return ParsedFile(kind=FileKind.REGISTRY, period_key=FileKind.REGISTRY.value, tables=landing)
