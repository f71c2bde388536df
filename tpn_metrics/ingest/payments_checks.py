"""What a payments extract must hold: its columns, its channels and the rules on its rows.

The extract is read once into ``payments_typed`` (:func:`read_extract`) and the rules are
checked inside DuckDB, in one scan of it (:func:`check_extract`): at ten million rows each
extra pass costs more than the rule.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import duckdb

from tpn_metrics.ingest.errors import FileRejectedError
from tpn_metrics.ingest.headers import Column, Layout, header_key
from tpn_metrics.ingest.readers import decode_text
from tpn_metrics.ingest.vocabulary import FileKind

MAX_MEMBERS_PER_PAYMENT = 30
EXAMPLES = 3  # offending payment ids quoted per broken rule

PAYMENTS = Layout(
    FileKind.PAYMENTS,
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


def read_header(path: Path) -> tuple[str, dict[str, str]]:
    """Delimiter and {canonical name: header as written}, from the first line.

    Raises FileRejectedError naming each required column the header lacks.
    """
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


def channel_case() -> str:
    """SQL mapping the channel as written ("MTN MoMo", "Umurenge SACCO") to its code."""
    key = "lower(regexp_replace(strip_accents(channel), '[^A-Za-z0-9]', '', 'g'))"
    branches = []
    for channel, aliases in CHANNELS.items():
        keys = ", ".join(f"'{header_key(a)}'" for a in (channel, *aliases))
        branches.append(f"when {key} in ({keys}) then '{channel}'")
    return "case " + " ".join(branches) + " end"


def household_key_sql(salted_reference: str) -> str:
    """SQL of the household key for the SQL text expression ``salted_reference`` (salt ‖
    household_ref): the first 128 bits of its SHA-256, a UHUGEINT (16 bytes, where the 64 hex
    characters took four times that). ``printf('%032x', household_key)`` gives them back as
    the first 32 hex characters of ``hashlib.sha256(...).hexdigest()``."""
    return f"('0x' || left(sha256({salted_reference}), 32))::uhugeint"


def read_extract(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    delimiter: str,
    columns: dict[str, str],
    salt: str,
) -> None:
    """Read the extract once into the temp table ``payments_typed``, each value typed or null.

    One row per CSV line: payment_id, district, sector (null when absent) and channel as
    written (text), household_key (:func:`household_key_sql` of ``salt`` ‖ household_ref,
    computed in the same pass, so the identifier itself is never stored, not even in a temp
    table that could spill to disk) and household_ref_missing (boolean: empty or absent),
    members_value (integer), amount_value (bigint, RWF, thousands separators dropped),
    paid_at_value (timestamp; ISO or dd/mm/YYYY[ HH:MM]). Also the temp
    table ``channel_map`` (channel as written → its code, null when unknown), built on the
    distinct spellings rather than on each row.
    """
    con.execute("set preserve_insertion_order = false")
    renamed = {canonical: f'"{written}"' for canonical, written in columns.items()}
    renamed.setdefault("sector", "null")
    salt_sql = "'" + salt.replace("'", "''") + "'"
    # One materialisation: typed straight from the text columns (a bad value becomes null and
    # is reported by check_extract, rather than stopping the read at the first one).
    con.execute(
        f"""
        create or replace temp table payments_typed as
        select
            {renamed["payment_id"]} as payment_id,
            {household_key_sql(f"{salt_sql} || {renamed['household_ref']}")} as household_key,
            coalesce(trim({renamed["household_ref"]}), '') = '' as household_ref_missing,
            {renamed["district"]} as district,
            {renamed["sector"]} as sector,
            {renamed["channel"]} as channel,
            try_cast({renamed["members"]} as integer) as members_value,
            try_cast(replace({renamed["amount_rwf"]}, ',', '') as bigint) as amount_value,
            coalesce(
                try_cast({renamed["paid_at"]} as timestamp),
                try_strptime({renamed["paid_at"]}, '%d/%m/%Y %H:%M'),
                try_strptime({renamed["paid_at"]}, '%d/%m/%Y')
            ) as paid_at_value
        from read_csv(?, delim = ?, header = true, all_varchar = true)
        """,
        [str(path), delimiter],
    )
    con.execute(
        f"""
        create or replace temp table channel_map as
        select channel, {channel_case()} as channel_value
        from (select distinct channel from payments_typed)
        """
    )


@dataclass(frozen=True, kw_only=True)
class ExtractScan:
    """What one scan of ``payments_typed`` found: every broken rule (``problems``, one
    sentence each, with a count and example payment ids), the row count and the first and
    last ``paid_at`` dates (None when no row has a valid one)."""

    problems: list[str]
    rows: int
    first_paid: dt.date | None
    last_paid: dt.date | None


def check_extract(con: duckdb.DuckDBPyConnection, today: dt.date) -> ExtractScan:
    """Every rule the extract (``payments_typed``, from :func:`read_extract`) breaks.

    One scan of the extract for all row rules, the duplicate count and the period: at ten
    million rows each extra pass costs more than the rule itself. The duplicated ids are
    listed by a second query only when there are some.
    """
    rules = {
        "payment_id is empty": "coalesce(trim(payment_id), '') = ''",
        "household_ref is empty": "household_ref_missing",
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
    found = con.execute(
        f"""
        select {selects},
            count(*), count(distinct payment_id),
            min(paid_at_value)::date, max(paid_at_value)::date
        from payments_typed left join channel_map using (channel)
        """
    ).fetchone()
    if found is None:
        raise RuntimeError("no row from the extract's checks (an aggregate returns one)")
    problems = []
    for index, label in enumerate(rules):
        count, examples = found[2 * index], found[2 * index + 1]
        if count:
            problems.append(
                f"{count:,} rows: {label} (e.g. payment_id {', '.join(map(str, examples))})"
            )
    rows, distinct_ids, first_paid, last_paid = found[2 * len(rules) :]
    if distinct_ids < rows:  # a repeated (or missing) payment_id: list the repeats
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
    return ExtractScan(
        problems=problems, rows=int(rows), first_paid=first_paid, last_paid=last_paid
    )
