"""Every hostile input of corpus/corpus.yaml does what the table says, and a refused one
changes no table of a warehouse that already holds data."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

from tests.reliability.conftest import TEMPLATE_FILES, ingest, landing_rows_of, query
from tests.reliability.corpus_files import CORPUS, GENERATORS, Case, load_cases
from tests.warehouse_state import fingerprint
from tpn_metrics.ingest.intake import NOT_KEPT
from tpn_metrics.settings import Settings

CASES = load_cases()
STORED_NAME = re.compile(r"^[0-9a-f]{2}/[0-9a-f]{64}(\.[a-z0-9]{1,7})?$")

pytestmark = pytest.mark.usefixtures("no_data_docs")


def test_the_corpus_is_large_and_well_formed():
    assert len(CASES) >= 30
    ids = [c.id for c in CASES]
    assert len(ids) == len(set(ids)), "case ids must be unique"
    kinds = {c.kind for c in CASES}
    assert kinds == {"rssb_weekly", "accreditation", "registry"}
    for case in CASES:
        assert case.expect in ("quarantined", "loaded"), case.id
        assert (case.file is None) != (case.generate is None), case.id
        if case.file:
            assert (CORPUS / case.file).exists(), case.id
        else:
            assert case.generate in GENERATORS, case.id
        if case.expect == "quarantined":
            assert case.reason, f"{case.id}: a quarantine needs the reason a sender will read"
        else:
            assert case.rows, f"{case.id}: say how many rows must load"


def test_every_committed_corpus_file_is_in_the_table():
    listed = {c.file for c in CASES if c.file} | {c.source for c in CASES if c.source}
    on_disk = {
        p.relative_to(CORPUS).as_posix()
        for p in CORPUS.glob("*/*")
        if p.is_dir() or p.suffix == ".csv"
    }
    assert on_disk <= listed, f"corpus files without an expected outcome: {on_disk - listed}"


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_hostile_input(case: Case, loaded: Settings, tmp_path: Path):
    path = case.materialise(tmp_path / "incoming")
    before = fingerprint(loaded.warehouse_path)

    started = time.monotonic()
    outcomes = ingest(loaded, [path])
    elapsed = time.monotonic() - started

    assert len(outcomes) == 1, outcomes
    (outcome,) = outcomes
    assert outcome.status == case.expect, f"{case.what}: {outcome.reason}"
    if case.max_seconds is not None:
        assert elapsed < case.max_seconds, f"took {elapsed:.1f} s"

    # The name recorded is a name, never a path, and prints safely.
    name = outcome.file_name
    assert "/" not in name and "\\" not in name and name.isprintable(), name
    assert 0 < len(name) <= 200 and name == name.strip(" ."), name
    if case.display_name is not None:
        assert name == case.display_name
    # The landing store holds copies named by hash only (a registry: a folder), all inside it.
    for entry in loaded.landing_store.glob("*/*"):
        assert STORED_NAME.match(entry.relative_to(loaded.landing_store).as_posix()), entry
    store = loaded.landing_store.resolve()
    stored = [p for p in loaded.landing_store.rglob("*") if p.is_file()]
    assert all(store in p.resolve().parents for p in stored)

    ((status, reason, warnings, rows, stored_path, ledger_rows),) = query(
        loaded,
        "select status, reason, warnings, row_count, stored_path, "
        "(select count(*) from landing.file_ledger) from landing.file_ledger "
        "where file_sha256 = ?",
        [outcome.file_sha256],
    )
    assert ledger_rows == len(TEMPLATE_FILES) + 1
    assert status == case.expect
    if case.kept:
        copy = Path(stored_path)
        assert copy.parent.parent == loaded.landing_store
        if path.is_file():
            assert copy.read_bytes() == path.read_bytes()
    else:
        assert stored_path == NOT_KEPT
        assert all(p.stat().st_size < 1024 * 1024 for p in stored)

    if case.expect == "quarantined":
        assert case.reason in (outcome.reason or ""), outcome.reason
        assert case.reason in reason
        assert fingerprint(loaded.warehouse_path) == before, "a refused file changed a table"
        assert landing_rows_of(loaded, outcome.file_sha256) == 0
    else:
        assert outcome.rows == case.rows == rows
        assert landing_rows_of(loaded, outcome.file_sha256) == case.rows
        for expected in case.warnings:
            assert any(expected in w for w in outcome.warnings), outcome.warnings
            assert expected in (warnings or "")
        unexpected = [w for w in outcome.warnings if not any(e in w for e in case.warnings)]
        assert unexpected == []
        if case.no_warning is not None:
            assert not any(case.no_warning in w for w in outcome.warnings), outcome.warnings
        # A file for a new week supersedes nothing; the loaded week stays current.
        assert outcome.superseded is None


def test_a_refused_file_sent_again_is_recognised(loaded: Settings, tmp_path: Path):
    """The 200 MB file is identified without being read whole: the second copy is known as the
    file already in quarantine, and is refused again without being read or recorded twice."""
    case = next(c for c in CASES if c.generate == "sparse_200mb")
    path = case.materialise(tmp_path / "incoming")
    (first,) = ingest(loaded, [path])
    (second,) = ingest(loaded, [path])
    assert (first.status, second.status) == ("quarantined", "quarantined")
    assert second.file_sha256 == first.file_sha256
    assert "still in quarantine" in (second.reason or "")


def test_the_documentation_lists_every_case():
    doc = (Path(__file__).parents[2] / "docs" / "reliability.md").read_text(encoding="utf-8")
    assert [c.id for c in CASES if f"| `{c.id}` |" not in doc] == []
