"""Ingest files or drop folders: detect, deduplicate, parse, validate, then load or quarantine.

Files are loaded in a meaningful order (registry, then accreditation by year, then RSSB weeks
by report date) whatever order they were received in, so week-on-week checks compare the
right weeks.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import duckdb

from tpn_metrics.calendar import fiscal_year_start
from tpn_metrics.ingest.accreditation import parse_accreditation
from tpn_metrics.ingest.detect import detect_kind, looks_like_registry
from tpn_metrics.ingest.dhis2 import parse_dhis2
from tpn_metrics.ingest.errors import FileRejectedError, ValidationCrashError
from tpn_metrics.ingest.landing import (
    REGISTRY_FILES,
    LedgerEntry,
    delivered_at_of,
    first_delivered_at,
    lacking_from_resubmission,
    ledger_record,
    load_parsed,
    previous_week_members,
    record_refusal,
    safe_display_name,
    sha256_of,
    still_refused_reason,
    store_copy,
)
from tpn_metrics.ingest.parsed import ParsedFile
from tpn_metrics.ingest.readers import MAX_FILE_BYTES
from tpn_metrics.ingest.registry import parse_registry
from tpn_metrics.ingest.rssb import parse_rssb_weekly
from tpn_metrics.ingest.validation import FrameValidator
from tpn_metrics.ingest.vocabulary import FINAL_STATUSES, LOAD_ORDER, FileKind, FileStatus
from tpn_metrics.lateness import FileDeadline
from tpn_metrics.reference import load_districts, load_hospitals
from tpn_metrics.settings import Settings
from tpn_metrics.warehouse import ensure_landing_schema, open_warehouse

# An oversized file is refused unread: it is identified by its size and these many bytes from
# each end, not hashed whole, and no copy of it is kept.
_SAMPLE_BYTES = 1 << 20
NOT_KEPT = "not kept: over the size limit"


@dataclass(frozen=True)
class IngestOutcome:
    """What became of one received file (or registry folder) in a run.

    ``status`` is loaded, duplicate, quarantined or crashed; ``reason`` says why a file was
    refused (for the sender) or is a duplicate; ``rows`` counts the landing rows loaded;
    ``superseded`` is the SHA-256 of the file this one replaced, if any.
    """

    file_name: str
    file_sha256: str
    kind: FileKind
    status: FileStatus
    reason: str | None = None
    warnings: tuple[str, ...] = ()
    rows: int = 0
    period_key: str | None = None
    superseded: str | None = None
    sheet: str | None = None  # the workbook sheet read (XLSX)


def expand(paths: Iterable[Path]) -> list[Path]:
    """Files and registry folders below the given paths, in a stable order.

    Inside a folder, hidden files and the sample generator's manifest are skipped; a file
    named explicitly is always taken, whatever its name.
    """
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            if looks_like_registry(p.stem for p in path.glob("*.csv")):
                found.append(path)
                continue
            children = sorted(
                p
                for p in path.iterdir()
                if not p.name.startswith(".") and p.name != "manifest.json"
            )
            found.extend(expand(children))
        elif path.is_file():
            found.append(path)
    return found


def _oversized(path: Path) -> bool:
    members = [path / f"{name}.csv" for name in REGISTRY_FILES] if path.is_dir() else [path]
    return any(m.is_file() and m.stat().st_size > MAX_FILE_BYTES for m in members)


def _sampled_sha256(path: Path) -> str:
    """Identify an oversized file (or registry folder) without reading all of it."""
    digest = hashlib.sha256(b"tpn-oversized\n")
    members = [path / f"{name}.csv" for name in REGISTRY_FILES] if path.is_dir() else [path]
    for member in members:
        if not member.is_file():
            continue
        size = member.stat().st_size
        digest.update(f"{member.name if path.is_dir() else ''}:{size}\n".encode())
        with member.open("rb") as handle:
            digest.update(handle.read(_SAMPLE_BYTES))
            handle.seek(max(size - _SAMPLE_BYTES, 0))
            digest.update(handle.read(_SAMPLE_BYTES))
    return digest.hexdigest()


def parse_file(
    path: Path, kind: FileKind, settings: Settings, validate: FrameValidator
) -> ParsedFile:
    """Parse and validate a file of a known kind (registry, accreditation, RSSB weekly, DHIS2).

    Raises FileRejectedError with every problem found, or ValidationCrashError when the
    validation itself failed; KeyError for a kind that has no parser here (payments).
    """
    parser: Callable[..., ParsedFile] = {
        FileKind.RSSB_WEEKLY: parse_rssb_weekly,
        FileKind.ACCREDITATION: parse_accreditation,
        FileKind.REGISTRY: parse_registry,
        FileKind.DHIS2: parse_dhis2,
    }[kind]
    return parser(path, seeds_dir=settings.seeds_dir, validate=validate)


def gx_dir(settings: Settings) -> Path:
    """Where Great Expectations keeps this home's validation results and Data Docs."""
    return settings.home / "var" / "gx"


def data_docs_index(settings: Settings) -> Path:
    """The validation results page of the last run (``<gx_dir>/docs/index.html``)."""
    return gx_dir(settings) / "docs" / "index.html"


@dataclass
class _Item:
    path: Path
    sha256: str
    kind: FileKind
    parsed: ParsedFile | None = None
    status: FileStatus | None = None  # set when refused (quarantined or crashed)
    reason: str | None = None
    keep_copy: bool = True
    sheet: str | None = None
    delivered_at: dt.datetime | None = None  # naive UTC

    def order(self) -> tuple[int, str, str]:
        period = self.parsed.period_key if self.parsed else ""
        rank = LOAD_ORDER.index(self.kind) if self.kind in LOAD_ORDER else len(LOAD_ORDER)
        return (rank, period, self.path.name)


def _week_on_week_warnings(con: duckdb.DuckDBPyConnection, parsed: ParsedFile) -> list[str]:
    report_date = dt.date.fromisoformat(parsed.period_key)
    fy_start = fiscal_year_start(report_date)
    previous, before = previous_week_members(con, report_date, fy_start)
    if previous is None:
        return []
    now = parsed.tables["rssb_weekly"].set_index("district_id")["members_paid"]
    warnings = []
    for district_id, members_before in before.set_index("district_id")["members_paid"].items():
        if district_id in now.index and int(now[district_id]) < int(members_before):
            warnings.append(
                f"members_paid for {district_id} fell from {int(members_before):,} on "
                f"{previous} to {int(now[district_id]):,}: accepted as an RSSB correction"
            )
    return warnings


def _rssb_due_at(parsed: ParsedFile, settings: Settings) -> dt.datetime | None:
    """The deadline of an RSSB week (naive UTC), as lateness.py defines it; None otherwise."""
    if parsed.kind != FileKind.RSSB_WEEKLY or not parsed.period_key:
        return None
    report_date = dt.date.fromisoformat(parsed.period_key)
    return FileDeadline.from_settings(settings).due_at(report_date).replace(tzinfo=None)


def _refuse_partial_resubmission(
    con: duckdb.DuckDBPyConnection, item: _Item, seeds_dir: Path
) -> None:
    """A new file for a loaded week that covers fewer districts is quarantined, naming them.

    A resubmission replaces the whole week (or survey year): a file with only the districts
    RSSB corrected would otherwise leave the week with those alone. (A first delivery with
    missing districts is still accepted with a warning.)
    """
    assert item.parsed is not None
    lacking_ids, previous = lacking_from_resubmission(con, item.parsed)
    if not lacking_ids:
        return
    weekly = item.parsed.kind == FileKind.RSSB_WEEKLY
    names = (
        {d.district_id: d.district_name for d in load_districts(seeds_dir)}
        if weekly
        else {h.hospital_id: h.hospital_name for h in load_hospitals(seeds_dir)}
    )
    lacking = sorted(names.get(i, i) for i in lacking_ids)
    what, one = ("districts", "district") if weekly else ("hospitals", "hospital")
    period, whole = ("week of", "week") if weekly else ("survey year", "year")
    item.status = FileStatus.QUARANTINED
    item.reason = (
        f"this file would replace the {period} {item.parsed.period_key} already loaded from "
        f"{previous}, but lacks {len(lacking)} of its {what}: {', '.join(lacking)}; a "
        f"resubmission replaces the whole {whole}: send every {one}, the "
        "corrected ones and the others unchanged"
    )
    item.parsed = None


def ingest_paths(
    paths: Iterable[Path],
    settings: Settings,
    *,
    today: dt.date | None = None,
    on_progress: Callable[[IngestOutcome], None] | None = None,
    on_checked: Callable[[str], None] | None = None,
    replay: Mapping[str, str] | None = None,
    backfill: bool = False,
) -> list[IngestOutcome]:
    """Hash, check and load files; one outcome each (duplicates first, then as loaded).

    Two passes: every file is read and validated first (the long part), then the accepted
    ones are loaded in ledger order (registry, accreditation by year, RSSB by report date),
    which is known only once each file's dates are read. ``on_checked(name)`` is called as
    each new file is validated; ``on_progress(outcome)`` as each outcome is final (duplicates
    in the first pass, the rest in the second).

    ``replay`` ({sha256: original file name}) names files received before (their landing
    copies) to ingest again although the ledger already has an outcome for them; they keep
    their first delivery time. ``backfill`` marks the ledger rows as loaded by a backfill
    (``is_backfill``): history, not deliveries, so they carry no timeliness. Each ledger row
    records ``delivered_at`` (the file's modification time, capped at the run's start) and,
    for RSSB weeks, ``due_at`` (:class:`tpn_metrics.lateness.FileDeadline`); raises
    ConfigurationError when TPN_RSSB_DEADLINE is unreadable and an RSSB file is loaded.
    """
    replay = replay or {}
    today = today or dt.date.today()
    received_at = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    items = [Path(p) for p in expand(paths)]
    outcomes: list[IngestOutcome] = []

    with open_warehouse(settings.warehouse_path) as con:
        ensure_landing_schema(con)
        pending: list[_Item] = []
        validators: list[FrameValidator] = []
        seen: set[str] = set()
        for path in items:
            oversized = _oversized(path)  # refused below, unread: never hashed whole nor kept
            sha = _sampled_sha256(path) if oversized else sha256_of(path)
            name = replay.get(sha) or safe_display_name(path)
            record = None if sha in seen or sha in replay else ledger_record(con, sha)
            if record is not None and record.status == FileStatus.QUARANTINED:
                # Still refused: the same bytes again are not "nothing new" while the first
                # delivery waits in quarantine (a bad file left in a drop folder must keep
                # the Friday run red until it is replaced or dismissed).
                outcome = IngestOutcome(
                    file_name=name,
                    file_sha256=sha,
                    kind=record.kind,
                    status=FileStatus.QUARANTINED,
                    reason=still_refused_reason(record),
                    period_key=record.period_key,
                    sheet=record.xlsx_sheet,
                )
            elif sha in seen or (record is not None and record.status in FINAL_STATUSES):
                outcome = IngestOutcome(
                    file_name=name,
                    file_sha256=sha,
                    kind=record.kind if record is not None else FileKind.UNKNOWN,
                    status=FileStatus.DUPLICATE,
                    reason="same content already received",
                )
            else:
                outcome = None
            if outcome is not None:
                outcomes.append(outcome)
                if on_progress:
                    on_progress(outcome)
                continue
            seen.add(sha)
            item = _Item(path=path, sha256=sha, kind=FileKind.UNKNOWN, keep_copy=not oversized)
            item.delivered_at = (
                first_delivered_at(con, sha)
                if sha in replay
                else delivered_at_of(path, received_at)
            )
            try:
                item.kind = detect_kind(path)
                validator = FrameValidator(
                    settings.expectations_dir, gx_dir(settings), today, run_name=name
                )
                validators.append(validator)
                item.parsed = parse_file(path, item.kind, settings, validator)
            except FileRejectedError as error:
                item.status, item.reason = FileStatus.QUARANTINED, "; ".join(error.reasons)
                item.sheet = error.sheet
            except ValidationCrashError as error:
                item.status, item.reason = FileStatus.CRASHED, str(error)
            except Exception as error:  # a parser bug must not look like bad data
                item.status = FileStatus.CRASHED
                item.reason = f"ingestion crashed ({type(error).__name__}: {error})"
            pending.append(item)
            if on_checked:
                on_checked(name)

        for item in sorted(pending, key=_Item.order):
            stored = (
                str(store_copy(item.path, settings.landing_store, item.sha256))
                if item.keep_copy
                else NOT_KEPT
            )
            name = replay.get(item.sha256) or safe_display_name(item.path)
            if item.parsed is not None:
                _refuse_partial_resubmission(con, item, settings.seeds_dir)
            if item.parsed is None:
                status = item.status or FileStatus.CRASHED  # every unparsed item has a status
                entry = LedgerEntry(
                    file_sha256=item.sha256,
                    file_name=name,
                    kind=item.kind,
                    status=status,
                    reason=item.reason,
                    stored_path=stored,
                    xlsx_sheet=item.sheet,
                    delivered_at=item.delivered_at,
                    is_backfill=backfill,
                )
                record_refusal(con, entry, received_at)
                outcome = IngestOutcome(
                    file_name=name,
                    file_sha256=item.sha256,
                    kind=item.kind,
                    status=status,
                    reason=item.reason,
                    sheet=item.sheet,
                )
            else:
                parsed = item.parsed
                warnings = list(parsed.warnings)
                if parsed.kind == FileKind.RSSB_WEEKLY:
                    warnings.extend(_week_on_week_warnings(con, parsed))
                entry = LedgerEntry(
                    file_sha256=item.sha256,
                    file_name=name,
                    kind=parsed.kind,
                    status=FileStatus.LOADED,
                    warnings="; ".join(warnings) or None,
                    row_count=parsed.row_count,
                    period_key=parsed.period_key,
                    stored_path=stored,
                    xlsx_sheet=parsed.details.get("sheet"),
                    delivered_at=item.delivered_at,
                    due_at=_rssb_due_at(parsed, settings),
                    is_backfill=backfill,
                )
                superseded = load_parsed(con, entry, parsed, received_at)
                outcome = IngestOutcome(
                    file_name=name,
                    file_sha256=item.sha256,
                    kind=parsed.kind,
                    status=FileStatus.LOADED,
                    warnings=tuple(warnings),
                    rows=parsed.row_count,
                    period_key=parsed.period_key,
                    superseded=superseded,
                    sheet=parsed.details.get("sheet"),
                )
            outcomes.append(outcome)
            if on_progress:
                on_progress(outcome)
    if validators:
        validators[0].build_data_docs()
    return outcomes
