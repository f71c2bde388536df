"""A small real warehouse for the evaluation command and report: the sample generator's
registry, its 2021 and 2023 accreditation surveys, and the Friday reports around the paper's
two dates (23 March 2021 and 2023), ingested and modelled by dbt as the pipeline does.

Between the two windows no report is loaded, so a date there has no report near it.
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
from pathlib import Path

import pytest

from tests.shared_build import built_once, fy2023_sample
from tpn_metrics.dbt_runner import dbt_build_in_place
from tpn_metrics.ingest.intake import ingest_paths
from tpn_metrics.settings import Settings

# Friday reports loaded: about six weeks around each of the paper's dates.
WINDOWS = (
    (dt.date(2021, 2, 26), dt.date(2021, 4, 9)),
    (dt.date(2023, 2, 24), dt.date(2023, 4, 7)),
)
_DAY_MONTH_YEAR = re.compile(r"(\d{2})[-.](\d{2})[-.](\d{4})")
_YEAR_MONTH_DAY = re.compile(r"(\d{4})-?(\d{2})-?(\d{2})")


def report_day(name: str) -> dt.date:
    if found := _DAY_MONTH_YEAR.search(name):
        return dt.date(int(found[3]), int(found[2]), int(found[1]))
    if found := _YEAR_MONTH_DAY.search(name):
        return dt.date(int(found[1]), int(found[2]), int(found[3]))
    raise ValueError(f"no date in sample file name {name!r}")


def build_evaluation_home(root: Path, folder: Path) -> None:
    """The warehouse built from the sample in ``root``, in ``folder/home``."""
    weekly = [
        path
        for path in sorted((root / "rssb_weekly").iterdir())
        if any(start <= report_day(path.name) <= end for start, end in WINDOWS)
    ]
    surveys = [p for p in (root / "accreditation").iterdir() if "2022" not in p.name]
    settings = Settings(home=folder / "home")
    paths = [root / "registry", *surveys, *weekly]
    outcomes = ingest_paths(paths, settings)
    assert {o.status for o in outcomes} == {"loaded"}, outcomes
    dbt_build_in_place(settings)


@pytest.fixture(scope="session")
def evaluation_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Built once per run, for every xdist worker (read-only: ``home`` copies it)."""
    root = fy2023_sample(tmp_path_factory)
    return (
        built_once(
            tmp_path_factory, "evaluation", lambda folder: build_evaluation_home(root, folder)
        )
        / "home"
    )


@pytest.fixture
def home(tmp_path: Path, evaluation_home: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """This test's own copy of the session warehouse, as TPN_HOME."""
    copy = tmp_path / "home"
    shutil.copytree(evaluation_home, copy)
    monkeypatch.setenv("TPN_HOME", str(copy))
    return copy
