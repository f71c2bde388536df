"""Column names and their aliases, per input kind (docs/contracts.md).

Headers compare case-, space-, accent- and punctuation-insensitively: "Report Date",
"report_date" and "REPORT-DATE" are one column.
"""

from __future__ import annotations

from dataclasses import dataclass

from tpn_metrics.ingest.vocabulary import FileKind
from tpn_metrics.names import fold


def header_key(text: str) -> str:
    """A header as compared: accents folded, lower case, no spaces or punctuation
    (``"Members Paid"`` and ``members_paid`` give ``memberspaid``)."""
    return fold(text).replace(" ", "")


@dataclass(frozen=True)
class Column:
    """One column of a layout: its canonical name, the other headers accepted for it, and
    whether a file without it is refused."""

    name: str
    aliases: tuple[str, ...] = ()
    required: bool = True


@dataclass(frozen=True)
class Layout:
    """The columns one input kind accepts."""

    kind: str  # a FileKind for a whole input; the table name for a registry table
    columns: tuple[Column, ...]

    def lookup(self) -> dict[str, str]:
        """{header key of every name and alias: canonical column name}."""
        table: dict[str, str] = {}
        for column in self.columns:
            for raw in (column.name, *column.aliases):
                table[header_key(raw)] = column.name
        return table

    def canonical(self, header: str) -> str | None:
        """The canonical column a header (as written) names, or None for an unknown one."""
        return self.lookup().get(header_key(header))

    def describe(self, name: str) -> str:
        """A column named for a sender: ``'district' (also accepted: district_name, ...)``."""
        column = next(c for c in self.columns if c.name == name)
        if not column.aliases:
            return f"'{name}'"
        return f"'{name}' (also accepted: {', '.join(column.aliases)})"


RSSB_WEEKLY = Layout(
    FileKind.RSSB_WEEKLY,
    (
        Column("report_date", ("date", "week_ending", "reporting_date")),
        Column("district", ("district_name", "akarere")),
        Column("target_population", ("target", "expected_members", "population_target")),
        Column("members_paid", ("paid_members", "enrolled_members", "members")),
        Column("households_paid", ("paid_households", "households"), required=False),
        Column(
            "amount_collected_rwf",
            ("amount", "contributions_rwf", "collected_amount"),
            required=False,
        ),
        Column("coverage_rate", ("coverage", "coverage_pct", "enrollment_rate"), required=False),
    ),
)

ACCREDITATION = Layout(
    FileKind.ACCREDITATION,
    (
        Column("survey_year", ("year",)),
        Column("hospital", ("hospital_name", "facility")),
        Column("district"),
        Column("hospital_category", ("category", "type", "level")),
        Column("level_1_score", ("l1", "level1")),
        Column("level_2_score", ("l2", "level2")),
        Column("level_3_score", ("l3", "level3"), required=False),
    ),
)

REGISTRY_INSTITUTIONS = Layout(
    "institutions",
    (
        Column("institution_id"),
        Column("name"),
        Column("kind"),
        Column("district"),
        Column("hospital_category", required=False),
        Column("is_tpn_member"),
        Column("joined_on", required=False),
    ),
)
REGISTRY_PRIORITIES = Layout(
    "priorities",
    (
        Column("institution_id"),
        Column("topic"),
        Column("rank"),
        Column("chosen_on", required=False),
    ),
)
REGISTRY_STRENGTHS = Layout("strengths", (Column("institution_id"), Column("topic")))
REGISTRY_PAIRS = Layout(
    "pairs",
    (
        Column("rising_id"),
        Column("shining_id"),
        Column("topic"),
        Column("started_on", required=False),
        Column("ended_on", required=False),
    ),
)
REGISTRY_EVENTS = Layout(
    "events",
    (
        Column("event_date"),
        Column("kind"),
        Column("topic", required=False),
        Column("institution_ids"),
    ),
)
REGISTRY_SHEETS = {
    layout.kind: layout
    for layout in (
        REGISTRY_INSTITUTIONS,
        REGISTRY_PRIORITIES,
        REGISTRY_STRENGTHS,
        REGISTRY_PAIRS,
        REGISTRY_EVENTS,
    )
}
