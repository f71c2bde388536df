"""Which contract a received file follows, told from its content (a file name can say anything).

A folder of CSVs, or a workbook with sheets, named after two or more registry tables is a
registry; a DHIS2 export is told by its JSON keys or CSV header
(:func:`tpn_metrics.ingest.dhis2_formats.sniff_format`); otherwise the header row (within the
first 15 rows) that names at least three columns of the RSSB weekly or the accreditation
layout (or their aliases) decides.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from tpn_metrics.ingest.dhis2_formats import sniff_format
from tpn_metrics.ingest.errors import FileRejectedError
from tpn_metrics.ingest.headers import ACCREDITATION, RSSB_WEEKLY, header_key
from tpn_metrics.ingest.landing import REGISTRY_FILES
from tpn_metrics.ingest.readers import check_size, decode_text
from tpn_metrics.ingest.vocabulary import FileKind
from tpn_metrics.ingest.xlsx import read_workbook

_LAYOUTS = (RSSB_WEEKLY, ACCREDITATION)
_HEADER_ROWS = 15  # a header row is looked for among the first rows only
_MIN_HEADER_MATCHES = 3  # known columns a header row must name to decide the kind


def looks_like_registry(names: Iterable[str]) -> bool:
    """Two or more registry tables (CSV files of a folder, sheets of a workbook) make a registry.

    One missing table must not turn a registry into separate files "not recognised": the
    registry parser then names what is missing.
    """
    return len({header_key(n) for n in names} & set(REGISTRY_FILES)) >= 2


def _header_score(rows: list[list[str]], layout_keys: set[str]) -> int:
    best = 0
    for row in rows[:_HEADER_ROWS]:
        best = max(best, len({header_key(c) for c in row if c} & layout_keys))
    return best


def detect_kind(path: Path) -> FileKind:
    """Which contract a file (or registry folder) follows, from its content.

    Raises FileRejectedError (a reason for the sender) when no layout is recognised, when a
    text file is separated by tabs, or when the file is over the size limit.
    """
    if path.is_dir():
        return FileKind.REGISTRY
    check_size(path)
    data = path.read_bytes()
    tabbed: list[list[str]] = []
    if data[:4] == b"PK\x03\x04":
        workbook = read_workbook(data)
        visible = workbook.visible_sheets()
        if looks_like_registry(s.title for s in visible):
            return FileKind.REGISTRY
        for sheet in visible:  # the first visible sheet that holds a known table decides
            rows = [list(r) for r in sheet.rows]
            scores = {lay.kind: _header_score(rows, set(lay.lookup())) for lay in _LAYOUTS}
            kind, score = max(scores.items(), key=lambda item: item[1])
            if score >= _MIN_HEADER_MATCHES:
                return FileKind(kind)
        raise FileRejectedError(
            "not a recognised input: no visible sheet holds an RSSB weekly update "
            "(report_date, district, target_population, members_paid, ...) or an "
            "accreditation table (survey_year, hospital, level_1_score, ...): "
            + workbook.describe()
        )
    else:
        if sniff_format(data) is not None:  # a JSON that is no DHIS2 export is refused there
            return FileKind.DHIS2
        lines = decode_text(data).splitlines()[:_HEADER_ROWS]
        rows = [line.replace(";", ",").split(",") for line in lines]
        tabbed = [line.split("\t") for line in lines]
    scores = {layout.kind: _header_score(rows, set(layout.lookup())) for layout in _LAYOUTS}
    kind, score = max(scores.items(), key=lambda item: item[1])
    if score < _MIN_HEADER_MATCHES and any(
        _header_score(tabbed, set(lay.lookup())) >= _MIN_HEADER_MATCHES for lay in _LAYOUTS
    ):
        raise FileRejectedError(
            "the file is separated by tabs; save it as CSV with ',' or ';' between values"
        )
    if score < _MIN_HEADER_MATCHES:
        raise FileRejectedError(
            "not a recognised input: expected an RSSB weekly update (report_date, district, "
            "target_population, members_paid, ...), an accreditation file (survey_year, "
            "hospital, level_1_score, ...), a TPN registry or a DHIS2 export (analytics or "
            "dataValueSets, JSON or CSV)"
        )
    return FileKind(kind)
