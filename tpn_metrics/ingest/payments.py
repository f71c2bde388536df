"""The optional contribution-level input: household payments behind RSSB's weekly totals.

An extract (CSV: payment_id, household_ref, district, sector, channel, members, amount_rwf,
paid_at) may hold millions of rows, so it is read, checked and pseudonymised inside DuckDB,
never row by row in Python. ``household_ref`` (often a phone number) is replaced on arrival by
``household_key`` = SHA-256(secret salt ‖ household_ref); the raw file is NOT kept — unlike every
other input — because keeping it would keep the identifiers. What is kept, by the raw file's
hash, is its pseudonymised rows in ``landing.cbhi_payments`` (and the ledger row).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd

from tpn_metrics.ingest.errors import FileRejectedError
from tpn_metrics.ingest.headers import Column, Layout, header_key
from tpn_metrics.ingest.landing import (
    LedgerEntry,
    ledger_record,
    record_refusal,
    safe_display_name,
    still_refused_reason,
)
from tpn_metrics.ingest.readers import decode_text
from tpn_metrics.ingest.validation import FrameValidator
from tpn_metrics.names import UnknownNameError, fold
from tpn_metrics.reference import district_resolver
from tpn_metrics.settings import Settings
from tpn_metrics.warehouse import ensure_landing_schema, open_warehouse, transaction

SALT_VARIABLE = "TPN_PSEUDONYM_SALT"
MAX_PAYMENTS_BYTES = 8 * 1024**3
MAX_MEMBERS_PER_PAYMENT = 30
EXAMPLES = 3
STORED_NOTE = (
    "raw file not kept (it holds household identifiers); its pseudonymised rows are "
    "landing.cbhi_payments where file_sha256 = this file's hash"
)

PAYMENTS = Layout(
    "payments",
    (
        Column("payment_id", ("transaction_id", "receipt_number")),
        Column("household_ref", ("household_id", "household", "phone", "msisdn")),
        Column("district", ("district_name", "akarere")),
        Column("sector", ("umurenge",), required=False),
        Column("channel", ("payment_channel", "method")),
        Column("members", ("members_paid", "persons")),
        Column("amount_rwf", ("amount", "amount_paid")),
        Column("paid_at", ("payment_date", "paid_on", "date")),
    ),
)
CHANNELS = {
    "umurenge_sacco": ("umurenge sacco", "sacco", "usacco"),
    "irembo": ("irembo", "irembo gov"),
    "mobile_money": ("mobile money", "momo", "mtn momo", "airtel money", "mtn mobile money"),
    "mobicash": ("mobicash", "mobi cash"),
}


@dataclass(frozen=True)
class PaymentsOutcome:
    file_name: str
    file_sha256: str
    status: str  # loaded | duplicate | quarantined
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


def _header(path: Path) -> tuple[str, dict[str, str]]:
    """Delimiter and {canonical name: header as written}, from the first line."""
    with path.open("rb") as handle:
        first = handle.readline(1 << 16)
    line = decode_text(first).strip()
    delimiter = ";" if line.count(";") > line.count(",") else ","
    found: dict[str, str] = {}
    for raw in line.split(delimiter):
        name = PAYMENTS.canonical(raw.strip().strip('"'))
        if name is not None:
            found[name] = raw.strip().strip('"')
    missing = [c.name for c in PAYMENTS.columns if c.required and c.name not in found]
    if missing:
        raise FileRejectedError(
            [f"missing required column {PAYMENTS.describe(name)}" for name in missing]
        )
    return delimiter, found


def _channel_case() -> str:
    """SQL mapping the channel as written ("MTN MoMo", "Umurenge SACCO") to its code."""
    key = "lower(regexp_replace(strip_accents(channel), '[^A-Za-z0-9]', '', 'g'))"
    branches = []
    for channel, aliases in CHANNELS.items():
        keys = ", ".join(f"'{header_key(a)}'" for a in (channel, *aliases))
        branches.append(f"when {key} in ({keys}) then '{channel}'")
    return "case " + " ".join(branches) + " end"


def _checks(con: duckdb.DuckDBPyConnection, today: dt.date) -> list[str]:
    """Every rule the extract breaks, with a count and the first few offending payment ids.

    One scan of the extract for all row rules: at ten million rows each extra pass costs more
    than the rule itself.
    """
    rules = {
        "payment_id is empty": "coalesce(trim(payment_id), '') = ''",
        "household_ref is empty": "coalesce(trim(household_ref), '') = ''",
        f"members is not a whole number from 1 to {MAX_MEMBERS_PER_PAYMENT}": (
            f"members_value is null or members_value < 1 "
            f"or members_value > {MAX_MEMBERS_PER_PAYMENT}"
        ),
        "amount_rwf is not a non-negative whole number": "amount_value is null or amount_value < 0",
        "paid_at is not a date/time": "paid_at_value is null",
        f"paid_at is after today ({today})": f"paid_at_value >= date '{today}' + 1",
        "channel is not one of umurenge_sacco, irembo, mobile_money, mobicash": (
            "channel_value is null"
        ),
    }
    selects = ", ".join(
        f"count(*) filter (where {condition}), "
        f"(list(payment_id) filter (where {condition}))[1:{EXAMPLES}]"
        for condition in rules.values()
    )
    found = con.execute(f"select {selects} from payments_typed").fetchone() or ()
    problems = []
    for index, label in enumerate(rules):
        count, examples = found[2 * index], found[2 * index + 1]
        if count:
            problems.append(
                f"{count:,} rows: {label} (e.g. payment_id {', '.join(map(str, examples))})"
            )
    duplicates = con.execute(
        f"""
        select count(*), list(payment_id order by payment_id)[1:{EXAMPLES}]
        from (select payment_id from payments_typed group by 1 having count(*) > 1)
        """
    ).fetchone()
    if duplicates and duplicates[0]:
        problems.append(
            f"{duplicates[0]:,} payment_id values appear more than once "
            f"(e.g. {', '.join(duplicates[1])})"
        )
    return problems


def ingest_payments(
    path: Path, settings: Settings, *, salt: str | None = None, today: dt.date | None = None
) -> PaymentsOutcome:
    today = today or dt.date.today()
    salt = salt if salt is not None else require_salt(settings)
    name = safe_display_name(path)
    size = path.stat().st_size
    if size > MAX_PAYMENTS_BYTES:
        raise FileRejectedError(f"the extract is {size / 1024**3:.1f} GB; split it by month")
    sha = _file_sha256(path)
    received_at = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    with open_warehouse(settings.warehouse_path) as con:
        ensure_landing_schema(con)
        record = ledger_record(con, sha)
        if record is not None and record.status == "quarantined":
            return PaymentsOutcome(name, sha, "quarantined", still_refused_reason(record))
        if record is not None and record.status in {"loaded", "superseded", "dismissed"}:
            return PaymentsOutcome(name, sha, "duplicate", "same content already received")
        try:
            delimiter, columns = _header(path)
            con.execute("set preserve_insertion_order = false")
            select = ", ".join(
                f'"{written}" as {canonical}' for canonical, written in columns.items()
            )
            sector = "sector" if "sector" in columns else "null"
            con.execute(
                f"""
                create or replace temp table payments_read as
                select {select}
                from read_csv(?, delim = ?, header = true, all_varchar = true)
                """,
                [str(path), delimiter],
            )
            # Channels are spelled a handful of ways: map the distinct spellings, not each row.
            con.execute(
                f"""
                create or replace temp table channel_map as
                select channel, {_channel_case()} as channel_value
                from (select distinct channel from payments_read)
                """
            )
            con.execute(
                f"""
                create or replace temp table payments_typed as
                select
                    payment_id,
                    household_ref,
                    district,
                    {sector} as sector,
                    channel_map.channel_value,
                    try_cast(members as integer) as members_value,
                    try_cast(replace(amount_rwf, ',', '') as bigint) as amount_value,
                    coalesce(
                        try_cast(paid_at as timestamp),
                        try_strptime(paid_at, '%d/%m/%Y %H:%M'),
                        try_strptime(paid_at, '%d/%m/%Y')
                    ) as paid_at_value
                from payments_read
                left join channel_map using (channel)
                """
            )
            con.execute("drop table payments_read")
            problems = _checks(con, today)
            districts = [
                str(row[0])
                for row in con.execute(
                    "select distinct district from payments_typed where district is not null"
                ).fetchall()
            ]
            resolver = district_resolver(settings.seeds_dir)
            mapping: dict[str, str] = {}
            for district in districts:
                try:
                    mapping[district] = resolver.resolve(district)
                except UnknownNameError as error:
                    problems.append(str(error))
            if problems:
                raise FileRejectedError(problems)
            con.register(
                "district_map",
                pd.DataFrame({"district": list(mapping), "district_id": list(mapping.values())}),
            )
            changed = con.execute(
                """
                select count(*), list(incoming.payment_id)[1:3]
                from payments_typed as incoming
                inner join landing.cbhi_payments as known
                    on incoming.payment_id = known.payment_id and not known.is_superseded
                where known.amount_rwf <> incoming.amount_value
                    or known.members <> incoming.members_value
                    or known.paid_at <> incoming.paid_at_value
                """
            ).fetchone()
            if changed[0]:
                raise FileRejectedError(
                    f"{changed[0]:,} payments were already received with different content "
                    f"(e.g. {', '.join(changed[1])}): RSSB must confirm which version is right"
                )
            aggregate = con.execute(
                """
                select map.district_id, count(*) as payments, sum(members_value) as members,
                    sum(amount_value) as amount_rwf
                from payments_typed inner join district_map as map using (district)
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
            record_refusal(
                con,
                LedgerEntry(
                    sha,
                    name,
                    "payments",
                    "quarantined",
                    "; ".join(error.reasons),
                    None,
                    None,
                    None,
                    None,
                    "(raw payments file not kept: identifiers)",
                ),
                received_at,
            )
            return PaymentsOutcome(name, sha, "quarantined", "; ".join(error.reasons))
        salt_sql = salt.replace("'", "''")
        with transaction(con):
            inserted = con.execute(
                f"""
                insert into landing.cbhi_payments
                select
                    ? as file_sha256,
                    incoming.payment_id,
                    sha256('{salt_sql}' || incoming.household_ref) as household_key,
                    map.district_id,
                    incoming.sector,
                    incoming.channel_value as channel,
                    incoming.members_value as members,
                    incoming.amount_value as amount_rwf,
                    incoming.paid_at_value as paid_at,
                    ? as loaded_at,
                    false as is_superseded
                from payments_typed as incoming
                inner join district_map as map using (district)
                anti join landing.cbhi_payments as known
                    on incoming.payment_id = known.payment_id
                """,
                [sha, received_at],
            ).fetchone()
            rows = int(inserted[0]) if inserted else 0
            total = con.execute("select count(*) from payments_typed").fetchone()
            span = con.execute(
                "select min(paid_at_value)::date, max(paid_at_value)::date from payments_typed"
            ).fetchone()
            period = f"{span[0]}..{span[1]}"
            con.execute(
                """
                insert into landing.file_ledger (file_sha256, file_name, kind, received_at,
                    status, reason, warnings, row_count, period_key, superseded_by, stored_path)
                values (?, ?, 'payments', ?, 'loaded', null, ?, ?, ?, null, ?)
                """,
                [
                    sha,
                    name,
                    received_at,
                    None if rows == total[0] else f"{total[0] - rows:,} payments already received",
                    rows,
                    period,
                    STORED_NOTE,
                ],
            )
    return PaymentsOutcome(name, sha, "loaded", None, rows, int(total[0]) - rows, period)


def normalise_channel(text: str) -> str | None:
    key = fold(text).replace(" ", "")
    for channel, aliases in CHANNELS.items():
        if key in {header_key(a) for a in (channel, *aliases)}:
            return channel
    return None
