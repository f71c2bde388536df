"""docs/contracts.md says what the loaders accept: every column, alias, optional column and
payment channel of tpn_metrics/ingest/ appears in the contract, and nothing else does."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tpn_metrics.ingest.headers import ACCREDITATION, REGISTRY_SHEETS, RSSB_WEEKLY, Layout
from tpn_metrics.ingest.payments_checks import CHANNELS, PAYMENTS

CONTRACTS = Path(__file__).parents[3] / "docs" / "contracts.md"
COLUMN_TABLE = ("column", "type", "aliases", "meaning")


def sections() -> dict[str, str]:
    """Section number ("1") -> its text."""
    text = CONTRACTS.read_text(encoding="utf-8")
    parts = re.split(r"^## (\d+)\. .*$", text, flags=re.MULTILINE)
    return dict(zip(parts[1::2], parts[2::2], strict=True))


def table_rows(section: str, header: tuple[str, ...]) -> list[list[str]]:
    """The rows of the section's markdown table with exactly these header cells."""
    rows: list[list[str]] = []
    inside = False
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if line.startswith("|") and tuple(cells) == header:
            inside = True
        elif inside and line.startswith("|"):
            if not set(cells[0]) <= {"-"}:
                rows.append(cells)
        elif inside:
            break
    assert rows, f"no table headed {header}"
    return rows


def names(cell: str) -> tuple[str, ...]:
    return tuple(a.strip() for a in cell.split(",") if a.strip())


def contract_columns(section: str) -> dict[str, tuple[tuple[str, ...], bool]]:
    """Column -> (aliases, required) from a `| column | type | aliases | meaning |` table."""
    return {
        row[0]: (names(row[2]), "optional" not in row[1])
        for row in table_rows(section, COLUMN_TABLE)
    }


def loader_columns(layout: Layout) -> dict[str, tuple[tuple[str, ...], bool]]:
    return {c.name: (c.aliases, c.required) for c in layout.columns}


@pytest.mark.parametrize(
    ("number", "layout"), [("1", RSSB_WEEKLY), ("2", ACCREDITATION), ("5", PAYMENTS)]
)
def test_column_tables_match_the_loaders(number: str, layout: Layout):
    assert contract_columns(sections()[number]) == loader_columns(layout)


def test_payment_channels_match_the_loader():
    rows = table_rows(sections()["5"], ("channel", "aliases"))
    assert {row[0]: names(row[1]) for row in rows} == CHANNELS


def test_registry_sheets_match_the_loader():
    """§3 lists each sheet as "- `sheet`: column, column (note), ...", ending at '.' or '—'."""
    listed: dict[str, list[str]] = {}
    for sheet, text in re.findall(r"^- `(\w+)`: (.*?)(?=^- |\Z)", sections()["3"], re.M | re.S):
        body = re.sub(r"\([^)]*\)", "", " ".join(text.split()))
        columns = re.split(r"\.\s|\.$| — ", body)[0]
        listed[sheet] = [c.strip() for c in columns.split(",")]
    assert listed == {
        sheet: [c.name for c in layout.columns] for sheet, layout in REGISTRY_SHEETS.items()
    }


def test_the_contract_cites_nothing_outside_the_repository():
    text = CONTRACTS.read_text(encoding="utf-8")
    assert "shared/contracts.md" not in text


def test_dhis2_section_names_every_format_and_period_type_read():
    from tpn_metrics.ingest.dhis2_formats import SOURCE_FORMATS
    from tpn_metrics.ingest.dhis2_periods import parse_period

    section = sections()["6"]
    documented = {
        row[0]
        for row in table_rows(
            section, ("format (`source_format`)", "how it is recognised", "what is read")
        )
    }
    assert documented == set(SOURCE_FORMATS)
    # Every "`Type id`" example of the section parses to that type.
    examples = re.findall(r"`(\w+) (\w+)`", section)
    assert len(examples) >= 14
    for period_type, period_id in examples:
        assert parse_period(period_id).period_type == period_type, period_id
