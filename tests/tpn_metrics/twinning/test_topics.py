"""The topic-metric registry (topics.yaml): what ships, and what a bad entry is told."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tpn_metrics.twinning.topics import (
    DEFAULT_TOPICS_FILE,
    Thresholds,
    load_topic_metrics,
    parse_topic_metrics,
    select_topics,
)


def test_shipped_topics_cover_the_eight_registry_topics():
    metrics = load_topic_metrics()
    # CBHI is classified on the census-corrected coverage only: RSSB's stale targets would
    # make districts "shining" on their denominator (issue 17).
    assert [m.key for m in metrics] == [
        ("accreditation", "level_2_score_pct"),
        ("cbhi_enrollment", "coverage_corrected_pct"),
        ("anc_first_visit", "anc1_coverage_pct"),
        ("anc_first_visit", "anc1_coverage_corrected_pct"),
        ("birth_asphyxia", "birth_asphyxia_per_1000"),
        ("malnutrition", "sam_cure_rate_pct"),
        ("stock_outs", "tracer_stockout_pct"),
        ("family_planning", "postpartum_fp_uptake_pct"),
        ("data_quality", "hmis_reporting_rate_on_time_pct"),
        ("data_quality", "hmis_reporting_rate_pct"),
    ]
    primary = {m.topic: m.metric for m in metrics if m.primary}
    assert primary == {
        "accreditation": "level_2_score_pct",
        "cbhi_enrollment": "coverage_corrected_pct",
        "anc_first_visit": "anc1_coverage_pct",
        "birth_asphyxia": "birth_asphyxia_per_1000",
        "malnutrition": "sam_cure_rate_pct",
        "stock_outs": "tracer_stockout_pct",
        "family_planning": "postpartum_fp_uptake_pct",
        "data_quality": "hmis_reporting_rate_on_time_pct",
    }
    lower_is_better = {m.topic for m in metrics if not m.higher_is_better}
    assert lower_is_better == {"birth_asphyxia", "stock_outs"}
    assert all(m.launch_sql for m in metrics)
    units = {m.metric: m.difference_unit for m in metrics}
    assert units.pop("birth_asphyxia_per_1000") == "per 1,000 live births"
    assert set(units.values()) == {"pp"}  # every other metric is a percentage
    assert all(m.thresholds == Thresholds() for m in metrics)
    # Every service metric names its DHIS2 measure, and its SQL reads that measure.
    for m in metrics[2:]:
        assert m.service_indicator == m.metric
        assert f"item_code = '{m.service_indicator}'" in m.sql


def _document(**overrides: object) -> dict:
    entry = {"topic": "stock_outs", "metric": "days", "sql": "select 1"} | overrides
    return {"topics": [entry]}


def test_a_new_topic_is_one_entry_with_its_own_thresholds():
    (metric,) = parse_topic_metrics(
        _document(higher_is_better=False, rising_share=0.25, shining_share=0.2, unit="days")
    )
    assert metric.primary  # the first metric of a topic is primary unless told otherwise
    assert not metric.higher_is_better
    assert metric.thresholds == Thresholds(rising_share=0.25, shining_share=0.2)
    assert metric.difference_unit == "days"
    assert metric.launch_sql is None


@pytest.mark.parametrize(
    ("document", "message"),
    [
        (_document(colour="red"), r"unknown key\(s\) \['colour'\]"),
        (_document(sql=""), "'sql' is required"),
        ({"topics": "accreditation"}, "a list under 'topics'"),
        ({"topics": [_document()["topics"][0]] * 2}, "duplicate"),
        (
            {
                "topics": [
                    _document(metric="a")["topics"][0],
                    _document(metric="b", primary=True)["topics"][0],
                ]
            },
            "exactly one primary metric",
        ),
        (_document(rising_share=0.8), "must not exceed 1"),
    ],
)
def test_bad_entries_are_refused_with_a_reason(document: dict, message: str):
    with pytest.raises(ValueError, match=message):
        parse_topic_metrics(document)


def test_topics_file_round_trip(tmp_path: Path):
    path = tmp_path / "topics.yaml"
    path.write_text(yaml.safe_dump(_document()), encoding="utf-8")
    assert load_topic_metrics(path)[0].key == ("stock_outs", "days")
    assert DEFAULT_TOPICS_FILE.name == "topics.yaml"


def test_select_topics_keeps_every_metric_of_a_topic_and_names_unknown_ones():
    metrics = load_topic_metrics()
    assert [m.metric for m in select_topics(metrics, ["cbhi_enrollment"])] == [
        "coverage_corrected_pct"
    ]
    assert [m.metric for m in select_topics(metrics, ["data_quality"])] == [
        "hmis_reporting_rate_on_time_pct",
        "hmis_reporting_rate_pct",
    ]
    assert select_topics(metrics, None) == metrics
    with pytest.raises(ValueError, match=r"no metric for topic\(s\) \['hand_hygiene'\]"):
        select_topics(metrics, ["hand_hygiene"])


def test_a_service_indicator_entry_gets_its_sql_generated():
    (metric,) = parse_topic_metrics(
        {"topics": [{"topic": "malnutrition", "metric": "cure", "service_indicator": "x_pct"}]},
        item_codes=frozenset({"x_pct"}),
    )
    assert metric.service_indicator == "x_pct"
    assert "marts.fct_service_indicators" in metric.sql
    assert metric.launch_sql is not None and "launch_workshop" in metric.launch_sql


def test_an_unknown_service_indicator_is_refused_naming_the_seed():
    document = {"topics": [{"topic": "malnutrition", "metric": "m", "service_indicator": "nope"}]}
    with pytest.raises(ValueError, match=r"'nope' is not an indicator .* dhis2_data_items\.csv"):
        parse_topic_metrics(document, item_codes=frozenset({"sam_cure_rate_pct"}))


def test_a_service_indicator_file_is_checked_against_the_seed(tmp_path: Path):
    path = tmp_path / "topics.yaml"
    entry = {"topic": "stock_outs", "metric": "m", "service_indicator": "anc1_visits"}
    path.write_text(yaml.safe_dump({"topics": [entry]}), encoding="utf-8")
    # anc1_visits is a data element (a numerator), not a measure a topic can name.
    with pytest.raises(ValueError, match="'anc1_visits' is not an indicator"):
        load_topic_metrics(path)
