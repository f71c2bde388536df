"""No personal data in the warehouse's tables, and no secret in a log line."""

from __future__ import annotations

import logging
import re
import shutil
from pathlib import Path

import duckdb
import pytest

from tpn_metrics.dbt_runner import run_dbt
from tpn_metrics.settings import Settings, SmtpSettings

SECRET = "s3cr3t-Pa55word!"

# Column names that would hold a person's identity. Names are allowed only for places,
# institutions and files; a household appears only as a pseudonymous key (household_key).
PII_COLUMN = re.compile(
    r"household_ref|household_id|phone|msisdn|mobile_(number|no)|national_id|(^|_)nid($|_)|id_number"
    r"|passport|email|address|date_of_birth|birth_date|(^|_)dob($|_)|patient|beneficiar"
    r"|surname|(first|last|full|given|middle|person|member|contact|head)_?name"
)
ALLOWED_NAME_COLUMNS = {
    "district_name",
    "district_name_received",
    "hospital_name",
    "hospital_name_received",
    "institution_name",
    "sector_name",
    "file_name",
    # DHIS2 (issue #22): names of org units (facilities, districts) and of data items.
    "org_unit_name",
    "org_unit_name_received",
    "dhis2_name",
    "data_item_name_received",
}
RWANDAN_PHONE = re.compile(r"(?:\+?250|(?<!\d)0)7[2389]\d{7}(?!\d)")


@pytest.fixture(scope="module")
def built_warehouse(loaded_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """The pre-loaded warehouse with every dbt seed and model built (data tests skipped: this
    is about which columns exist, and tests/dbt runs them)."""
    home = tmp_path_factory.mktemp("built") / "home"
    shutil.copytree(loaded_template, home)
    settings = Settings(home=home)
    outcome = run_dbt(
        ["build", "--exclude-resource-type", "test", "--exclude-resource-type", "unit_test"],
        settings,
    )
    assert outcome.success, outcome.describe_failures()
    return settings


@pytest.mark.slow
def test_no_table_of_the_built_warehouse_has_a_personal_data_column(built_warehouse: Settings):
    con = duckdb.connect(str(built_warehouse.warehouse_path), read_only=True)
    try:
        columns = con.execute(
            """
            select table_schema, table_name, column_name, data_type
            from information_schema.columns
            where table_schema not in ('information_schema', 'pg_catalog')
            """
        ).fetchall()
        schemas = {schema for schema, *_ in columns}
        assert {"landing", "staging", "marts", "reference"} <= schemas, schemas
        offending = [
            f"{schema}.{table}.{column}"
            for schema, table, column, _ in columns
            if PII_COLUMN.search(column)
            or (re.search(r"(^|_)names?($|_)", column) and column not in ALLOWED_NAME_COLUMNS)
        ]
        assert offending == [], f"columns that would hold personal data: {offending}"

        # Nor does any text value look like a phone number (the usual household reference).
        phones = []
        for schema, table, column, data_type in columns:
            if data_type != "VARCHAR" or schema not in ("landing", "marts"):
                continue
            values = con.execute(
                f'select distinct "{column}" from "{schema}"."{table}" '
                f'where "{column}" is not null limit 100000'
            ).fetchall()
            phones += [f"{schema}.{table}.{column}" for (v,) in values if RWANDAN_PHONE.search(v)]
        assert phones == []
    finally:
        con.close()


def test_the_pii_patterns_catch_what_they_should():
    for column in (
        "household_ref",
        "phone",
        "msisdn",
        "national_id",
        "head_name",
        "first_name",
        "recipient_email",
    ):
        assert PII_COLUMN.search(column), column
    for column in (
        "household_key",
        "households_paid",
        "district_name",
        "members_paid",
        "hospital_id",
    ):
        assert not PII_COLUMN.search(column), column
    assert RWANDAN_PHONE.search("0788123456") and RWANDAN_PHONE.search("+250722123456")
    assert not RWANDAN_PHONE.search("1041582000")


def _smtp_settings() -> SmtpSettings:
    settings = SmtpSettings.from_environment(
        {
            "TPN_SMTP_HOST": "smtp.example.org",
            "TPN_SMTP_USERNAME": "tpn-reports",
            "TPN_SMTP_PASSWORD": SECRET,
        }
    )
    assert settings is not None
    return settings


def test_the_smtp_password_never_shows_in_a_repr_or_a_log_line(caplog: pytest.LogCaptureFixture):
    settings = _smtp_settings()
    assert settings.password == SECRET  # it is there to be used...
    for text in (repr(settings), str(settings), f"{settings}", f"{settings!r}", f"{[settings]}"):
        assert SECRET not in text  # ...never to be shown
        assert "smtp.example.org" in text and "tpn-reports" in text
    with caplog.at_level(logging.DEBUG):
        logging.getLogger("tpn_metrics.emails.deliver").info("sending with %s", settings)
        logging.getLogger("tpn_metrics").warning("settings: %r", {"smtp": settings})
    assert caplog.records
    assert SECRET not in caplog.text


def test_the_stage_helper_hides_the_password_too(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("TPN_SMTP_HOST", "smtp.example.org")
    monkeypatch.setenv("TPN_SMTP_PASSWORD", SECRET)
    settings = Settings().smtp
    assert settings is not None and settings.password == SECRET
    assert SECRET not in repr(settings)
