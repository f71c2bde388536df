"""Everything around the assignment, on a miniature warehouse (in memory, no dbt).

The miniature (tests/twinning/support.py) has six member DHMTs in two provinces, one in the
West, one non-member, and two topics added through a topics YAML, one of them lower-is-better
(stunting). Expected values are worked out in the comments.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from typer.testing import CliRunner

from tests.twinning.support import MINI_TOPICS_YAML, build_mini_warehouse, shuffled
from tpn_metrics.twinning.compute import TwinningInputs, compute_twinning
from tpn_metrics.twinning.plot import report_section
from tpn_metrics.twinning.topics import TopicMetric, parse_topic_metrics
from tpn_metrics.twinning.warehouse import (
    TABLE_NAMES,
    TwinningSchemaError,
    WarehouseNotBuiltError,
    declared,
    read_inputs,
    read_metric_values,
    run_twinning,
    write_tables,
)

METRICS = parse_topic_metrics(__import__("yaml").safe_load(MINI_TOPICS_YAML))


@pytest.fixture
def con() -> Iterator[duckdb.DuckDBPyConnection]:
    connection = duckdb.connect()
    build_mini_warehouse(connection)
    yield connection
    connection.close()


@pytest.fixture
def fake_picture(monkeypatch: pytest.MonkeyPatch) -> None:
    """Skip drawing (≈1.5 s a run) where a test does not look at the picture."""
    from tpn_metrics.twinning import plot

    monkeypatch.setattr(plot, "network_png", lambda network, institutions: b"\x89PNG stub")


def table(con: duckdb.DuckDBPyConnection, name: str) -> pd.DataFrame:
    columns = list(declared(name).column_names)
    return con.execute(f"select * from twinning.{name} order by all").df().loc[:, columns]


def pairs_of(frame: pd.DataFrame) -> set[tuple[str, str, str]]:
    matched = frame.loc[frame["is_matched"].astype(bool)]
    return set(
        zip(
            matched["topic"],
            matched["rising_institution_id"],
            matched["shining_institution_id"],
            strict=True,
        )
    )


def test_run_writes_every_table_with_the_expected_content(con, tmp_path: Path):
    run = run_twinning(con, reports_dir=tmp_path, metrics=METRICS)
    assert run.table_rows == {
        "twinning.fct_twinning_classification": 13,  # 7 measured on stunting, 6 on FP
        "twinning.fct_twinning_recommendations": 4,
        "twinning.fct_twinning_network": 7,  # 3 chosen (any topic) + 4 recommended
        "twinning.fct_twinning_chosen_pairs_assessed": 2,
        "twinning.fct_twinning_comparison": 2,
    }
    classification = table(con, "fct_twinning_classification")
    assert "DHMT-X1" not in set(classification["institution_id"])  # not a TPN member
    stunting = classification.loc[classification["topic"] == "malnutrition"].set_index(
        "institution_id"
    )
    # Lower is better: N1 (20 %) shines in the North, N3 (40 %) is rising; W1 is alone in
    # its peer group, so it is placed among all 7 districts: 4th of 7, middle.
    assert stunting.loc["DHMT-N1", "role"] == "shining"
    assert stunting.loc["DHMT-N3", "role"] == "rising"
    assert stunting.loc["DHMT-W1", "classified_within"] == "district:all"
    assert stunting.loc["DHMT-W1", "role"] == "middle"
    # Malnutrition: S1 listed it as a strength, so both rising districts go to S1 (capacity
    # 2), although N1 is nearer N3 and does better. Family planning: each to its province's
    # shining district.
    recommendations = table(con, "fct_twinning_recommendations")
    assert pairs_of(recommendations) == {
        ("malnutrition", "DHMT-N3", "DHMT-S1"),
        ("malnutrition", "DHMT-S3", "DHMT-S1"),
        ("family_planning", "DHMT-N3", "DHMT-N1"),
        ("family_planning", "DHMT-S3", "DHMT-S1"),
    }
    n3 = recommendations.set_index(["topic", "rising_institution_id"]).loc[
        ("malnutrition", "DHMT-N3")
    ]
    assert n3["gap"] == pytest.approx(15.0)  # 40 % − 25 %, positive: S1 does better
    assert n3["distance_class"] == "neighbouring_province"
    assert "15.0 pp" in n3["reason"]
    summary = table(con, "fct_twinning_comparison").set_index("topic")
    malnutrition = summary.loc["malnutrition"]
    # Chosen: N3 ← N2 (N2 better by 10 pp; 1 pp at launch), S1 ← S3 (S3 worse by 20 pp).
    assert malnutrition["chosen_pairs"] == 2
    assert malnutrition["chosen_shining_worse"] == 1
    assert malnutrition["chosen_shining_worse_at_launch"] == 1
    assert malnutrition["chosen_mean_gap"] == pytest.approx(-5.0)
    assert malnutrition["chosen_mean_gap_at_launch"] == pytest.approx(-9.5)
    assert malnutrition["chosen_rising_classified_rising"] == 1
    assert malnutrition["recommended_mean_gap"] == pytest.approx(17.5)
    assert malnutrition["agreement"] == 0
    assert summary.loc["family_planning", "chosen_pairs"] == 0
    network = table(con, "fct_twinning_network")
    chosen = network.loc[network["origin"] == "chosen"].set_index("target_institution_id")
    assert set(chosen["topic"]) == {"malnutrition", "data_quality"}
    assert not chosen.loc["DHMT-S1", "is_shining_better"]
    assert pd.isna(chosen.loc["DHMT-W1", "metric"])  # data quality has no metric
    assert run.png_path == tmp_path / "twinning_network.png"
    assert run.png_path.read_bytes().startswith(b"\x89PNG")


def test_a_second_run_and_shuffled_inputs_give_the_same_tables(con, tmp_path: Path):
    run_twinning(con, reports_dir=tmp_path, metrics=METRICS)
    first = {name: table(con, name) for name in TABLE_NAMES}
    png = (tmp_path / "twinning_network.png").read_bytes()
    run_twinning(con, reports_dir=tmp_path, metrics=METRICS)
    for name in TABLE_NAMES:
        pd.testing.assert_frame_equal(first[name], table(con, name))
    assert (tmp_path / "twinning_network.png").read_bytes() == png
    inputs = read_inputs(con, METRICS)
    reshuffled = TwinningInputs(
        institutions=shuffled(inputs.institutions, 1),
        values={k: shuffled(v, 2) for k, v in inputs.values.items()},
        priorities=shuffled(inputs.priorities, 3),
        strengths=shuffled(inputs.strengths, 4),
        chosen=shuffled(inputs.chosen, 5),
        launch_values={k: shuffled(v, 6) for k, v in inputs.launch_values.items()},
    )
    a, b = compute_twinning(inputs, METRICS), compute_twinning(reshuffled, METRICS)
    for field in ("classification", "recommendations", "network", "assessed", "summary"):
        pd.testing.assert_frame_equal(getattr(a, field), getattr(b, field))


def test_a_topic_run_replaces_only_that_topics_rows(con, tmp_path: Path, fake_picture):
    run_twinning(con, reports_dir=tmp_path, metrics=METRICS)
    before = table(con, "fct_twinning_recommendations")
    con.execute("update marts.fct_test_metrics set modern_method_pct = 10 where true")
    run = run_twinning(con, reports_dir=tmp_path, metrics=METRICS, topics=["malnutrition"])
    assert set(run.result.recommendations["topic"]) == {"malnutrition"}
    after = table(con, "fct_twinning_recommendations")
    fp = before["topic"] == "family_planning"
    pd.testing.assert_frame_equal(
        before.loc[fp].reset_index(drop=True),
        after.loc[after["topic"] == "family_planning"].reset_index(drop=True),
    )
    network = table(con, "fct_twinning_network")
    assert {"data_quality", "family_planning"} <= set(network["topic"])  # kept
    with pytest.raises(ValueError, match="no metric for topic"):
        run_twinning(con, reports_dir=tmp_path, metrics=METRICS, topics=["data_quality"])


def test_the_tables_are_replaced_in_one_transaction(con, tmp_path: Path, fake_picture):
    run = run_twinning(con, reports_dir=tmp_path, metrics=METRICS)
    before = {name: table(con, name) for name in TABLE_NAMES}
    # The last table written breaks its primary key: nothing of the new run may remain.
    broken = replace(
        run.result,
        classification=run.result.classification.iloc[:1],
        summary=pd.concat([run.result.summary] * 2, ignore_index=True),
    )
    with pytest.raises(duckdb.ConstraintException):
        write_tables(con, broken)
    for name in TABLE_NAMES:
        pd.testing.assert_frame_equal(before[name], table(con, name))


def test_a_table_of_another_version_is_not_patched_topic_by_topic(
    con, tmp_path: Path, fake_picture
):
    con.execute("create schema twinning")
    con.execute("create table twinning.fct_twinning_classification (topic varchar)")
    with pytest.raises(TwinningSchemaError, match="without --topic"):
        run_twinning(con, reports_dir=tmp_path, metrics=METRICS, topics=["malnutrition"])
    run_twinning(con, reports_dir=tmp_path, metrics=METRICS)  # a full run rebuilds it


def test_an_unbuilt_warehouse_and_bad_metric_sql_are_explained(tmp_path: Path, fake_picture):
    empty = duckdb.connect()
    with pytest.raises(WarehouseNotBuiltError, match="tpn build"):
        run_twinning(empty, reports_dir=tmp_path, metrics=METRICS)
    bad = TopicMetric(topic="t", metric="m", sql="select 1 as nothing")
    with pytest.raises(ValueError, match=r"returns no \['institution_id', 'value'\]"):
        read_metric_values(empty, bad)
    broken = TopicMetric(topic="t", metric="m", sql="select * from nowhere")
    with pytest.raises(ValueError, match="the sql of 't' / 'm' failed"):
        read_metric_values(empty, broken)


def test_report_section_has_the_table_and_the_picture(con, tmp_path: Path):
    run = run_twinning(con, reports_dir=tmp_path, metrics=METRICS)
    section = report_section(run)
    assert section.markdown.startswith("## Twinning")
    assert "| malnutrition | stunting_pct |" in section.markdown
    assert "![Twinning network](twinning_network.png)" in section.markdown
    assert "| malnutrition | S1 DHMT | S3 DHMT |" in section.markdown  # shining does worse
    assert "DHMT-" not in section.markdown  # people read names, not registry ids
    assert "data:image/png;base64," in section.html
    assert "<table>" in section.html


def test_cli_recommend_prints_the_pairs_and_the_picture(tmp_path: Path, monkeypatch, fake_picture):
    from tpn_metrics.cli.twinning import app
    from tpn_metrics.settings import Settings

    monkeypatch.setenv("TPN_HOME", str(tmp_path))
    topics_file = tmp_path / "topics.yaml"
    topics_file.write_text(MINI_TOPICS_YAML, encoding="utf-8")
    runner = CliRunner()
    unbuilt = runner.invoke(app, ["recommend", "--topics-file", str(topics_file)])
    assert unbuilt.exit_code == 2  # nothing built yet: a usage error, as every command
    assert "tpn build" in unbuilt.output
    path = Settings().warehouse_path
    with duckdb.connect(str(path)) as warehouse:
        build_mini_warehouse(warehouse)
    result = runner.invoke(
        app, ["recommend", "--topics-file", str(topics_file), "--topic", "malnutrition"]
    )
    assert result.exit_code == 0, result.output
    assert "S1 DHMT" in result.output
    assert "DHMT-" not in result.output  # names, not registry ids
    assert f"network picture: {tmp_path / 'reports' / 'twinning_network.png'}" in result.output
    unknown = runner.invoke(app, ["recommend", "--topics-file", str(topics_file), "--topic", "x"])
    assert unknown.exit_code == 2
    assert "no metric for topic(s) ['x']" in unknown.output


def test_table_definitions_match_the_frames_the_pure_modules_build():
    from tpn_metrics.twinning.compare import ASSESSED_COLUMNS, SUMMARY_COLUMNS
    from tpn_metrics.twinning.compute import CLASSIFICATION_TABLE_COLUMNS
    from tpn_metrics.twinning.institution_names import named_columns
    from tpn_metrics.twinning.network import NETWORK_COLUMNS
    from tpn_metrics.twinning.recommend import RECOMMENDATION_COLUMNS

    expected = {
        "fct_twinning_classification": CLASSIFICATION_TABLE_COLUMNS,
        "fct_twinning_recommendations": RECOMMENDATION_COLUMNS,
        "fct_twinning_network": NETWORK_COLUMNS,
        "fct_twinning_chosen_pairs_assessed": ASSESSED_COLUMNS,
        "fct_twinning_comparison": SUMMARY_COLUMNS,
    }
    assert set(expected) == set(TABLE_NAMES)
    for name in TABLE_NAMES:
        table = declared(name)
        assert table.column_names == named_columns(expected[name]), name
        assert table.primary_key and set(table.primary_key) <= set(expected[name])


def test_tables_name_every_institution_beside_its_id(con, tmp_path: Path):
    run_twinning(con, reports_dir=tmp_path, metrics=METRICS)
    names = dict(
        con.execute("select institution_id, institution_name from marts.dim_institution").fetchall()
    )
    for table in TABLE_NAMES:
        frame = con.execute(f"select * from twinning.{table}").df()
        for id_column in [c for c in declared(table).column_names if c.endswith("institution_id")]:
            pairs = frame[[id_column, id_column.replace("_id", "_name")]].dropna()
            assert len(pairs) or table == "fct_twinning_comparison", (table, id_column)
            assert all(names[i] == n for i, n in pairs.itertuples(index=False)), (table, id_column)
    reasons = con.execute("select reason from twinning.fct_twinning_recommendations").df()
    assert reasons["reason"].str.contains(" DHMT").all()
    assert not reasons["reason"].str.contains("DHMT-").any()
