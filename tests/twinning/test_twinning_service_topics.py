"""`tpn twinning recommend --topic birth_asphyxia` on the miniature warehouse plus a hand-made
marts.fct_service_indicators (issue #22): the package's own topics.yaml, the generated SQL,
and reasons in the indicator's unit and direction (fewer asphyxia cases is better).

Birth asphyxia per 1,000 live births, 2022-07..2023-06 (500 live births a month per DHMT):
N1 10, N2 20, N3 30 (Northern); S1 15, S2 25, S3 35 (Southern); W1 22 (alone in the West:
classified among all 7 DHMTs, 4th of 7, middle). Within each province the lowest rate shines
and the highest is rising: N3 learns from N1, S3 from S1, each 20.0 per 1,000 better.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd
import pytest
from typer.testing import CliRunner

from tests.twinning.support import build_mini_warehouse
from tpn_metrics.settings import Settings

RATES = {"n1": 10.0, "n2": 20.0, "n3": 30.0, "s1": 15.0, "s2": 25.0, "s3": 35.0, "w1": 22.0}
COLUMNS = (
    "institution_id varchar, institution_kind varchar, district_id varchar, hospital_id varchar, "
    "topic varchar, item_code varchar, period_id varchar, period_type varchar, "
    "period_start date, period_end date, value double, numerator double, denominator double, "
    "factor integer, value_source varchar, facilities_rolled_up integer"
)


def add_service_indicators(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(f"create table marts.fct_service_indicators ({COLUMNS})")
    con.execute(
        "create table staging.stg_tpn_registry__events as "
        "select 'launch_workshop' as event_kind, date '2021-03-23' as event_date"
    )
    rows = []
    for start in pd.date_range("2022-07-01", "2023-06-01", freq="MS"):
        end = (start + pd.offsets.MonthEnd(0)).date()
        for district, rate in RATES.items():
            rows.append(
                (
                    f"DHMT-{district.upper()}",
                    "district",
                    district,
                    None,
                    "birth_asphyxia",
                    "birth_asphyxia_per_1000",
                    f"{start:%Y%m}",
                    "Monthly",
                    start.date(),
                    end,
                    rate,
                    rate * 0.5,
                    500.0,
                    1000,
                    "rolled_up",
                    3,
                )
            )
    con.executemany(
        "insert into marts.fct_service_indicators values (" + ", ".join("?" * 16) + ")", rows
    )


@pytest.fixture
def fake_picture(monkeypatch: pytest.MonkeyPatch) -> None:
    from tpn_metrics.twinning import plot

    monkeypatch.setattr(plot, "network_png", lambda network, institutions: b"\x89PNG stub")


def test_recommend_on_a_lower_is_better_service_topic(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fake_picture: None
):
    from tpn_metrics.cli.twinning import app

    monkeypatch.setenv("TPN_HOME", str(tmp_path))
    path = Settings().warehouse_path
    path.parent.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(path)) as warehouse:
        build_mini_warehouse(warehouse)
        add_service_indicators(warehouse)
    result = CliRunner().invoke(app, ["recommend", "--topic", "birth_asphyxia"])
    assert result.exit_code == 0, result.output
    with duckdb.connect(str(path), read_only=True) as warehouse:
        recommended = warehouse.execute(
            "select rising_institution_id, shining_institution_id, gap, reason "
            "from twinning.fct_twinning_recommendations order by 1"
        ).fetchall()
        classified = warehouse.execute(
            "select institution_id, role, value, as_of from twinning.fct_twinning_classification "
            "where institution_id in ('DHMT-N1', 'DHMT-W1') order by 1"
        ).fetchall()
    assert [(r, s) for r, s, _g, _why in recommended] == [
        ("DHMT-N3", "DHMT-N1"),
        ("DHMT-S3", "DHMT-S1"),
    ]
    assert recommended[0][2] == pytest.approx(20.0)  # positive: the partner does better
    assert recommended[0][3].startswith(
        "N1 DHMT does better by 20.0 per 1,000 live births (10.0 vs 30.0); same peer group"
    )
    assert classified == [
        ("DHMT-N1", "shining", pytest.approx(10.0), "2022-07..2023-06, 12 months"),
        ("DHMT-W1", "middle", pytest.approx(22.0), "2022-07..2023-06, 12 months"),
    ]
