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
from tpn_metrics.ingest.errors import FileRejectedError, ValidationCrashError
from tpn_metrics.ingest.headers import ACCREDITATION, RSSB_WEEKLY, header_key
from tpn_metrics.ingest.landing import (
    REGISTRY_FILES,
    LedgerEntry,
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
from tpn_metrics.ingest.readers import (
    MAX_FILE_BYTES,
    check_size,
    decode_text,
    read_workbook,
)
from tpn_metrics.ingest.registry import parse_registry
from tpn_metrics.ingest.rssb import parse_rssb_weekly
from tpn_metrics.ingest.validation import FrameValidator
from tpn_metrics.reference import load_districts, load_hospitals
from tpn_metrics.settings import Settings
from tpn_metrics.warehouse import ensure_landing_schema, open_warehouse

KINDS = ("rssb_weekly", "accreditation", "registry")
_FINAL_STATUSES = {"loaded", "superseded", "quarantined", "dismissed"}
_KIND_ORDER = {"registry": 0, "accreditation": 1, "rssb_weekly": 2}
# An oversized file is refused unread: it is identified by its size and these many bytes from
# each end, not hashed whole, and no copy of it is kept.
_SAMPLE_BYTES = 1 << 20
NOT_KEPT = "not kept: over the size limit"


@dataclass(frozen=True)
class IngestOutcome:
    file_name: str
    file_sha256: str
    kind: str
    status: str  # loaded | duplicate | quarantined | crashed
    reason: str | None = None
    warnings: tuple[str, ...] = ()
    rows: int = 0
    period_key: str | None = None
    superseded: str | None = None
    sheet: str | None = None  # the workbook sheet read (XLSX)


def looks_like_registry(names: Iterable[str]) -> bool:
    """Two or more registry tables (CSV files of a folder, sheets of a workbook) make a registry.

    One missing table must not turn a registry into separate files "not recognised": the
    registry parser then names what is missing.
    """
    return len({header_key(n) for n in names} & set(REGISTRY_FILES)) >= 2


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


def _header_score(rows: list[list[str]], layout_keys: set[str]) -> int:
    best = 0
    for row in rows[:15]:
        best = max(best, len({header_key(c) for c in row if c} & layout_keys))
    return best


_LAYOUTS = (RSSB_WEEKLY, ACCREDITATION)


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


def detect_kind(path: Path) -> str:
    """Which contract a file follows, from its content (a file name can say anything)."""
    if path.is_dir():
        return "registry"
    check_size(path)
    data = path.read_bytes()
    tabbed: list[list[str]] = []
    if data[:4] == b"PK\x03\x04":
        workbook = read_workbook(data)
        visible = workbook.visible_sheets()
        if looks_like_registry(s.title for s in visible):
            return "registry"
        for sheet in visible:  # the first visible sheet that holds a known table decides
            rows = [list(r) for r in sheet.rows]
            scores = {lay.kind: _header_score(rows, set(lay.lookup())) for lay in _LAYOUTS}
            kind, score = max(scores.items(), key=lambda item: item[1])
            if score >= 3:
                return kind
        raise FileRejectedError(
            "not a recognised input: no visible sheet holds an RSSB weekly update "
            "(report_date, district, target_population, members_paid, ...) or an "
            "accreditation table (survey_year, hospital, level_1_score, ...): "
            + workbook.describe()
        )
    else:
        lines = decode_text(data).splitlines()[:15]
        rows = [line.replace(";", ",").split(",") for line in lines]
        tabbed = [line.split("\t") for line in lines]
    scores = {layout.kind: _header_score(rows, set(layout.lookup())) for layout in _LAYOUTS}
    kind, score = max(scores.items(), key=lambda item: item[1])
    if score < 3 and any(_header_score(tabbed, set(lay.lookup())) >= 3 for lay in _LAYOUTS):
        raise FileRejectedError(
            "the file is separated by tabs; save it as CSV with ',' or ';' between values"
        )
    if score < 3:
        raise FileRejectedError(
            "not a recognised input: expected an RSSB weekly update (report_date, district, "
            "target_population, members_paid, ...), an accreditation file (survey_year, "
            "hospital, level_1_score, ...) or a TPN registry"
        )
    return kind


def parse_file(path: Path, kind: str, settings: Settings, validate: FrameValidator) -> ParsedFile:
    parser: Callable[..., ParsedFile] = {
        "rssb_weekly": parse_rssb_weekly,
        "accreditation": parse_accreditation,
        "registry": parse_registry,
    }[kind]
    return parser(path, seeds_dir=settings.seeds_dir, validate=validate)


def gx_dir(settings: Settings) -> Path:
    return settings.home / "var" / "gx"


def data_docs_index(settings: Settings) -> Path:
    return gx_dir(settings) / "docs" / "index.html"


@dataclass
class _Item:
    path: Path
    sha256: str
    kind: str
    parsed: ParsedFile | None = None
    status: str = "pending"
    reason: str | None = None
    keep_copy: bool = True
    sheet: str | None = None

    def order(self) -> tuple[int, str, str]:
        period = self.parsed.period_key if self.parsed else ""
        return (_KIND_ORDER.get(self.kind, 9), period, self.path.name)


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
    weekly = item.parsed.kind == "rssb_weekly"
    names = (
        {d.district_id: d.district_name for d in load_districts(seeds_dir)}
        if weekly
        else {h.hospital_id: h.hospital_name for h in load_hospitals(seeds_dir)}
    )
    lacking = sorted(names.get(i, i) for i in lacking_ids)
    what, one = ("districts", "district") if weekly else ("hospitals", "hospital")
    period, whole = ("week of", "week") if weekly else ("survey year", "year")
    item.status = "quarantined"
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
) -> list[IngestOutcome]:
    """Hash, check and load files; one outcome each (duplicates first, then as loaded).

    Two passes: every file is read and validated first (the long part), then the accepted
    ones are loaded in ledger order (registry, accreditation by year, RSSB by report date),
    which is known only once each file's dates are read. ``on_checked(name)`` is called as
    each new file is validated; ``on_progress(outcome)`` as each outcome is final (duplicates
    in the first pass, the rest in the second).

    ``replay`` ({sha256: original file name}) names files received before (their landing
    copies) to ingest again although the ledger already has an outcome for them.
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
            if record is not None and record.status == "quarantined":
                # Still refused: the same bytes again are not "nothing new" while the first
                # delivery waits in quarantine (a bad file left in a drop folder must keep
                # the Friday run red until it is replaced or dismissed).
                outcome = IngestOutcome(
                    name,
                    sha,
                    record.kind,
                    "quarantined",
                    reason=still_refused_reason(record),
                    period_key=record.period_key,
                    sheet=record.xlsx_sheet,
                )
            elif sha in seen or (record is not None and record.status in _FINAL_STATUSES):
                kind = record.kind if record is not None else "unknown"
                outcome = IngestOutcome(
                    name, sha, kind, "duplicate", reason="same content already received"
                )
            else:
                outcome = None
            if outcome is not None:
                outcomes.append(outcome)
                if on_progress:
                    on_progress(outcome)
                continue
            seen.add(sha)
            item = _Item(path=path, sha256=sha, kind="unknown", keep_copy=not oversized)
            try:
                item.kind = detect_kind(path)
                validator = FrameValidator(
                    settings.expectations_dir, gx_dir(settings), today, run_name=name
                )
                validators.append(validator)
                item.parsed = parse_file(path, item.kind, settings, validator)
            except FileRejectedError as error:
                item.status, item.reason = "quarantined", "; ".join(error.reasons)
                item.sheet = error.sheet
            except ValidationCrashError as error:
                item.status, item.reason = "crashed", str(error)
            except Exception as error:  # a parser bug must not look like bad data
                item.status = "crashed"
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
                entry = LedgerEntry(
                    item.sha256,
                    name,
                    item.kind,
                    item.status,
                    item.reason,
                    None,
                    None,
                    None,
                    None,
                    stored,
                    item.sheet,
                )
                record_refusal(con, entry, received_at)
                outcome = IngestOutcome(
                    name, item.sha256, item.kind, item.status, item.reason, sheet=item.sheet
                )
            else:
                parsed = item.parsed
                warnings = list(parsed.warnings)
                if parsed.kind == "rssb_weekly":
                    warnings.extend(_week_on_week_warnings(con, parsed))
                entry = LedgerEntry(
                    item.sha256,
                    name,
                    parsed.kind,
                    "loaded",
                    None,
                    "; ".join(warnings) or None,
                    parsed.row_count,
                    parsed.period_key,
                    None,
                    stored,
                    parsed.details.get("sheet"),
                )
                superseded = load_parsed(con, entry, parsed, received_at)
                outcome = IngestOutcome(
                    name,
                    item.sha256,
                    parsed.kind,
                    "loaded",
                    None,
                    tuple(warnings),
                    parsed.row_count,
                    parsed.period_key,
                    superseded,
                    parsed.details.get("sheet"),
                )
            outcomes.append(outcome)
            if on_progress:
                on_progress(outcome)
    if validators:
        validators[0].build_data_docs()
    return outcomes
