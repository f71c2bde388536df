"""One real Prefect server, the deployments of prefect.yaml and a process worker, shared by
every test of this folder (docs/operations.md, "The real-server test", says it step by step).
"""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.prefect_server.server import POOL, PrefectStack
from tpn_metrics import stages
from tpn_metrics.settings import Settings

GOOD = Path(__file__).resolve().parents[1] / "fixtures" / "ingest" / "good"
#: The small pre-built warehouse: the registry, two accreditation years, one RSSB week.
PREBUILT = (
    "registry",
    "accreditation_2022_fractions.csv",
    "accreditation_2023_percent.csv",
    "rssb_2023-03-24_canonical.csv",
)
#: The week dropped for the Friday run, and its report date.
NEW_WEEK = "rssb_2023-03-31_semicolon_bom_aliases.csv"
NEW_REPORT_DATE = "2023-03-31"


# Package scope: one server for every test of this folder, stopped as soon as the last of
# them ends (not at the end of the whole session, while other suites run).
@pytest.fixture(scope="package")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrefectStack]:
    base = tmp_path_factory.mktemp("prefect-server")
    home, drop, moh, dhis2 = base / "home", base / "drop", base / "moh", base / "dhis2"
    drop.mkdir()
    moh.mkdir()
    dhis2.mkdir()
    stack = PrefectStack(
        base,
        env_extra={
            "TPN_HOME": str(home),
            "TPN_CHECKOUT": str(Path(__file__).resolve().parents[2]),
            "TPN_DROP_FOLDER": str(drop),
            "TPN_MOH_DROP_FOLDER": str(moh),
            "TPN_DHIS2_DROP_FOLDER": str(dhis2),
        },
    )
    try:
        stack.start_server()  # boots while the warehouse is built
        settings = Settings(home=home)
        stages.run_ingest(settings, [GOOD / name for name in PREBUILT], today=dt.date.today())
        stages.run_dbt_build(settings)
        shutil.copy(GOOD / NEW_WEEK, drop / NEW_WEEK)
        stack.wait_healthy()
        stack.run("work-pool", "work-pool", "create", POOL, "--type", "process")
        stack.run("deploy", "--no-prompt", "deploy", "--all")
        stack.start("worker", "worker", "start", "--pool", POOL, "--type", "process")
        yield stack
    finally:
        stack.stop()
