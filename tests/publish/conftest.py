"""A real PostgreSQL 15 server and a small built warehouse, once per session.

Without PostgreSQL's server binaries these tests FAIL (they do not skip): publishing is a
promise to analysts, and a CI that silently stopped testing it would be green for nothing.
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.publish.pg_server import PostgresServer, PostgresUnavailableError, running_postgres
from tpn_metrics.settings import Settings


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    try:
        with running_postgres() as server:
            yield server
    except PostgresUnavailableError as error:
        pytest.fail(str(error), pytrace=False)


def report_date_in_name(path: Path) -> dt.date:
    """The sample's RSSB file names carry the report date in one of four spellings."""
    stem = path.stem
    if match := re.search(r"(\d{4})-(\d\d)-(\d\d)", stem):
        return dt.date(int(match[1]), int(match[2]), int(match[3]))
    if match := re.search(r"(\d\d)[-.](\d\d)[-.](\d{4})", stem):
        return dt.date(int(match[3]), int(match[2]), int(match[1]))
    if match := re.search(r"(\d{4})(\d\d)(\d\d)", stem):
        return dt.date(int(match[1]), int(match[2]), int(match[3]))
    raise ValueError(f"no date in {path.name}")


TYPE_PROBE = r"""
create schema if not exists twinning;
create or replace table twinning.publish_type_probe as
select * from (values
    (1::tinyint, 1::smallint, 170141183460469231731687303715884105727::hugeint,
     12345.67::decimal(12, 2), 1.5::float, timestamp '2023-03-24 19:00:00.123456',
     timestamptz '2023-03-24 19:00:00+02', time '06:30:00', interval '2 days 3 hours',
     uuid '2f1c0c8e-4c1a-4a57-9d7b-2a4b6f0e8a11', '\x00\xffTPN'::blob,
     E'tab\there, newline\nthere, back\\slash, "quotes", Kinyarwanda: Muraho'),
    (null, null, null, null, null, null, null, null, null, null, null, null)
) as probe(
    tiny, small, huge, amount, ratio, loaded_at, sent_at, at_time, waited, probe_id, payload,
    awkward_text
)
"""


@pytest.fixture(scope="session")
def source_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """Registry, the three accreditation years and ten RSSB weeks; dbt build; evaluation;
    plus ``twinning.publish_type_probe`` with the less common column types.
    """
    from tpn_metrics import dbt_runner, stages
    from tpn_metrics.ingest.intake import ingest_paths
    from tpn_metrics.sample import generate_sample
    from tpn_metrics.warehouse import open_warehouse

    root = tmp_path_factory.mktemp("publish-source")
    sample = root / "sample"
    generate_sample(sample, 2024)
    weekly = sorted((sample / "rssb_weekly").iterdir(), key=report_date_in_name)
    # The evaluation compares the reports nearest 23 March 2021 and 2023.
    march = [p for p in weekly if report_date_in_name(p).month == 3][:6]
    chosen = [*weekly[:4], *march]
    settings = Settings(home=root / "home")
    outcomes = ingest_paths([sample / "registry", sample / "accreditation", *chosen], settings)
    assert {o.status for o in outcomes} == {"loaded"}, outcomes
    dbt_runner.dbt_build_in_place(settings)
    stages.run_evaluation(settings, n_resamples=200)
    with open_warehouse(settings.warehouse_path) as con:
        con.execute(TYPE_PROBE)
    return settings


def copy_home(settings: Settings, destination: Path) -> Settings:
    """A copy of a home (warehouse and dbt manifest) to change without touching the original."""
    shutil.copytree(settings.home, destination)
    return Settings(home=destination)
