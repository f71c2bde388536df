"""The optional contribution-level input: household payments behind RSSB's weekly totals.

An extract (CSV: payment_id, household_ref, district, sector, channel, members, amount_rwf,
paid_at) may hold millions of rows, so it is read, checked and pseudonymised inside DuckDB,
never row by row in Python. ``household_ref`` (often a phone number) is replaced on arrival by
``household_key`` = SHA-256(secret salt ‖ household_ref), stored as the UHUGEINT of its first
128 bits (:func:`~tpn_metrics.ingest.payments_checks.household_key_sql`); the raw file is NOT
kept — unlike every other input — because keeping it would keep the identifiers. What is
kept, by the raw file's hash, is its pseudonymised rows in ``landing.cbhi_payments`` (and
the ledger row).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd

from tpn_metrics.ingest.errors import FileRejectedError
from tpn_metrics.ingest.landing import (
    LedgerEntry,
    delivered_at_of,
    ledger_record,
    record_refusal,
    safe_display_name,
    still_refused_reason,
    write_ledger_row,
)
from tpn_metrics.ingest.payments_checks import check_extract, read_extract, read_header
from tpn_metrics.ingest.validation import FrameValidator
from tpn_metrics.ingest.vocabulary import FINAL_STATUSES, FileKind, FileStatus
from tpn_metrics.names import UnknownNameError
from tpn_metrics.reference import district_resolver
from tpn_metrics.settings import Settings
from tpn_metrics.warehouse import ensure_landing_schema, open_warehouse, transaction

SALT_VARIABLE = "TPN_PSEUDONYM_SALT"
MAX_PAYMENTS_BYTES = 8 * 1024**3
STORED_NOTE = (
    "raw file not kept (it holds household identifiers); its pseudonymised rows are "
    "landing.cbhi_payments where file_sha256 = this file's hash"
)


@dataclass(frozen=True, kw_only=True)
class PaymentsOutcome:
    """What became of one payments extract: loaded, duplicate or quarantined.

    ``rows`` counts the payments loaded, ``already_received`` those skipped because the same
    payment_id (with the same content) was loaded before; ``period_key`` is the span of
    ``paid_at`` dates, ``first..last`` (ISO dates); ``reason`` says why it was refused.
    """

    file_name: str
    file_sha256: str
    status: FileStatus
    reason: str | None = None
    rows: int = 0
    already_received: int = 0
    period_key: str | None = None


def require_salt(settings: Settings) -> str:
    """The pseudonymisation secret (TPN_PSEUDONYM_SALT); RuntimeError when shorter than 16."""
    salt = settings.pseudonym_salt
    if len(salt) < 16:
        raise RuntimeError(
            f"{SALT_VARIABLE} must hold a secret of at least 16 characters: household "
            "references are pseudonymised with it on arrival, and it must stay the same "
            "between loads (store it in the deployment's secrets, never in the repository)"
        )
    return salt


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 22), b""):
            digest.update(block)
    return digest.hexdigest()


def ingest_payments(
    path: Path, settings: Settings, *, salt: str | None = None, today: dt.date | None = None
) -> PaymentsOutcome:
    """Check, pseudonymise and load a payments extract (CSV); refuse it whole on any problem.

    ``salt`` defaults to the settings' TPN_PSEUDONYM_SALT (RuntimeError when too short). A
    refused extract gets a ledger row (status quarantined, every problem listed) and nothing
    else changes; payments already received unchanged are skipped, not doubled. Raises
    FileRejectedError, unrecorded, for an extract over ``MAX_PAYMENTS_BYTES`` (8 GiB).
    """
    today = today or dt.date.today()
    salt = salt if salt is not None else require_salt(settings)
    name = safe_display_name(path)
    size = path.stat().st_size
    if size > MAX_PAYMENTS_BYTES:
        raise FileRejectedError(f"the extract is {size / 1024**3:.1f} GB; split it by month")
    sha = _file_sha256(path)
    received_at = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    delivered_at = delivered_at_of(path, received_at)
    with open_warehouse(settings.warehouse_path) as con:
        ensure_landing_schema(con)
        record = ledger_record(con, sha)
        if record is not None and record.status == FileStatus.QUARANTINED:
            return PaymentsOutcome(
                file_name=name,
                file_sha256=sha,
                status=FileStatus.QUARANTINED,
                reason=still_refused_reason(record),
            )
        if record is not None and record.status in FINAL_STATUSES:
            return PaymentsOutcome(
                file_name=name,
                file_sha256=sha,
                status=FileStatus.DUPLICATE,
                reason="same content already received",
            )
        try:
            delimiter, columns = read_header(path)
            read_extract(con, path, delimiter, columns, salt)
            scan = check_extract(con, today)
            problems = scan.problems
            # The districts as written, with their totals: resolved once per spelling, and
            # summed by district for the validation below (no further pass over the rows).
            con.execute(
                """
                create or replace temp table payments_by_district as
                select district, count(*) as payments, sum(members_value) as members,
                    sum(amount_value) as amount_rwf
                from payments_typed where district is not null group by all
                """
            )
            resolver = district_resolver(settings.seeds_dir)
            mapping: dict[str, str] = {}
            for (district,) in con.execute("select district from payments_by_district").fetchall():
                try:
                    mapping[str(district)] = resolver.resolve(str(district))
                except UnknownNameError as error:
                    problems.append(str(error))
            if problems:
                raise FileRejectedError(problems)
            con.register(
                "district_map",
                pd.DataFrame({"district": list(mapping), "district_id": list(mapping.values())}),
            )
            changed = _known_payments(con)
            if changed[0]:
                raise FileRejectedError(
                    f"{changed[0]:,} payments were already received with different content "
                    f"(e.g. {', '.join(changed[1])}): RSSB must confirm which version is right"
                )
            aggregate = con.execute(
                """
                select map.district_id, sum(payments)::bigint as payments,
                    sum(members) as members, sum(amount_rwf) as amount_rwf
                from payments_by_district inner join district_map as map using (district)
                group by all
                """
            ).df()
            validator = FrameValidator(
                settings.expectations_dir,
                settings.home / "var" / "gx",
                today,
                run_name=name,
            )
            problems = validator("cbhi_payments_by_district", aggregate)
            if problems:
                raise FileRejectedError(problems)
        except FileRejectedError as error:
            reason = "; ".join(error.reasons)
            record_refusal(
                con,
                LedgerEntry(
                    file_sha256=sha,
                    file_name=name,
                    kind=FileKind.PAYMENTS,
                    status=FileStatus.QUARANTINED,
                    reason=reason,
                    stored_path="(raw payments file not kept: identifiers)",
                    delivered_at=delivered_at,
                ),
                received_at,
            )
            return PaymentsOutcome(
                file_name=name, file_sha256=sha, status=FileStatus.QUARANTINED, reason=reason
            )
        with transaction(con):
            inserted = con.execute(
                """
                insert into landing.cbhi_payments
                select
                    ? as file_sha256,
                    incoming.payment_id,
                    incoming.household_key,
                    map.district_id,
                    incoming.sector,
                    channels.channel_value as channel,
                    incoming.members_value as members,
                    incoming.amount_value as amount_rwf,
                    incoming.paid_at_value as paid_at,
                    ? as loaded_at,
                    false as is_superseded
                from payments_typed as incoming
                inner join district_map as map using (district)
                inner join channel_map as channels using (channel)
                anti join payments_known as known using (payment_id)
                """,
                [sha, received_at],
            ).fetchone()
            rows = int(inserted[0]) if inserted else 0
            total = scan.rows
            period = f"{scan.first_paid}..{scan.last_paid}"
            write_ledger_row(
                con,
                LedgerEntry(
                    file_sha256=sha,
                    file_name=name,
                    kind=FileKind.PAYMENTS,
                    status=FileStatus.LOADED,
                    warnings=None
                    if rows == total
                    else f"{total - rows:,} payments already received",
                    row_count=rows,
                    period_key=period,
                    stored_path=STORED_NOTE,
                    delivered_at=delivered_at,
                ),
                received_at,
            )
    return PaymentsOutcome(
        file_name=name,
        file_sha256=sha,
        status=FileStatus.LOADED,
        rows=rows,
        already_received=int(total) - rows,
        period_key=period,
    )


def _known_payments(con: duckdb.DuckDBPyConnection) -> tuple[int, list[str]]:
    """Match the extract against the payments already received, in one join.

    Leaves the temp table ``payments_known`` (payment_id of every incoming payment already in
    ``landing.cbhi_payments``, superseded or not), which the insert anti-joins: the landing
    table is scanned once, not once for the check and again for the insert. Returns how many
    incoming payments differ from the current (not superseded) version received, and up to
    three of their ids.
    """
    con.execute(
        """
        create or replace temp table payments_known as
        select
            incoming.payment_id,
            not known.is_superseded and (
                known.amount_rwf <> incoming.amount_value
                or known.members <> incoming.members_value
                or known.paid_at <> incoming.paid_at_value
            ) as is_changed
        from payments_typed as incoming
        inner join landing.cbhi_payments as known on incoming.payment_id = known.payment_id
        """
    )
    row = con.execute(
        "select count(*), list(payment_id)[1:3] from payments_known where is_changed"
    ).fetchone()
    if row is None:
        raise RuntimeError("no row from an aggregate query on payments_known")
    return int(row[0]), list(row[1] or [])
