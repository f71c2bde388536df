"""The ingest vocabulary: what a received file is (its kind) and what became of it (its status).

The values are the strings stored in ``landing.file_ledger`` (columns ``kind`` and ``status``)
and read by dbt models, ``tpn status`` and the flows. Both enums are ``StrEnum``: a member *is*
its string (``FileStatus.LOADED == "loaded"``, f-strings and DuckDB parameters give the bare
value), so code and SQL that still compare strings keep working.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Literal


class FileKind(StrEnum):
    """Which contract a received file follows (docs/contracts.md), as ``file_ledger.kind``."""

    RSSB_WEEKLY = "rssb_weekly"  # RSSB's Friday CBHI enrolment update
    ACCREDITATION = "accreditation"  # MOH's annual hospital accreditation results
    REGISTRY = "registry"  # the TPN registry: institutions, priorities, pairs, events
    PAYMENTS = "payments"  # the optional household payments extract (pseudonymised)
    DHIS2 = "dhis2"  # an HMIS (DHIS2) export: analytics or data value set, JSON or CSV
    UNKNOWN = "unknown"  # refused or crashed before its kind could be told


class FileStatus(StrEnum):
    """What became of a received file.

    Every status but ``DUPLICATE`` is stored in ``file_ledger.status``; a duplicate (the same
    bytes as a file already on record) is only reported, its first delivery's row stands.
    """

    LOADED = "loaded"  # its rows are in landing and count
    SUPERSEDED = "superseded"  # loaded, then replaced by a newer file for the same period
    QUARANTINED = "quarantined"  # refused with a reason the sender can act on
    CRASHED = "crashed"  # our code or a validation tool failed on it: not the sender's fault
    DISMISSED = "dismissed"  # taken out of quarantine by an operator, with a reason
    DUPLICATE = "duplicate"  # an outcome only: never a ledger row of its own


# Statuses of a file in quarantine (refused, waiting for a corrected file or a dismissal).
REFUSED_STATUSES = (FileStatus.QUARANTINED, FileStatus.CRASHED)
# Statuses whose file, sent again, is nothing new (a duplicate).
FINAL_STATUSES = frozenset(
    {FileStatus.LOADED, FileStatus.SUPERSEDED, FileStatus.QUARANTINED, FileStatus.DISMISSED}
)

# The order files are loaded in within one run, whatever order they arrived in: the registry
# first, then accreditation (by survey year), then RSSB weeks (by report date), then DHIS2
# exports (by their first period).
LOAD_ORDER = (FileKind.REGISTRY, FileKind.ACCREDITATION, FileKind.RSSB_WEEKLY, FileKind.DHIS2)
# Kinds whose newer file replaces the older one of the same period whole. A DHIS2 export is
# replaced value by value instead (dbt's staging keeps each value's newest delivery).
WHOLE_PERIOD_KINDS = frozenset(
    {FileKind.REGISTRY, FileKind.ACCREDITATION, FileKind.RSSB_WEEKLY, FileKind.PAYMENTS}
)

# What a name resolver resolves (tpn_metrics.names): only passed around, never stored.
EntityKind = Literal["district", "hospital"]
