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


def test_shipped_topics_cover_accreditation_and_corrected_cbhi_coverage_only():
    metrics = load_topic_metrics()
    # CBHI is classified on the census-corrected coverage only: RSSB's stale targets would
    # make districts "shining" on their denominator (issue 17).
    assert [m.key for m in metrics] == [
        ("accreditation", "level_2_score_pct"),
        ("cbhi_enrollment", "coverage_corrected_pct"),
    ]
    primary = {m.topic: m.metric for m in metrics if m.primary}
    assert primary == {
        "accreditation": "level_2_score_pct",
        "cbhi_enrollment": "coverage_corrected_pct",
    }
    assert all(m.higher_is_better and m.launch_sql for m in metrics)
    assert all(m.difference_unit == "pp" for m in metrics)
    assert all(m.thresholds == Thresholds() for m in metrics)


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
    assert select_topics(metrics, None) == metrics
    with pytest.raises(ValueError, match=r"no metric for topic\(s\) \['malnutrition'\]"):
        select_topics(metrics, ["malnutrition"])
