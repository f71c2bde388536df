"""The selection of a Friday build: definition fingerprint, source signatures, the plan."""

from __future__ import annotations

import copy
from typing import Any

import duckdb

from tpn_metrics.build_selection import (
    plan_selection,
    project_fingerprint,
    source_signatures,
    volatile_models,
)

MANIFEST: dict[str, Any] = {
    "nodes": {
        "model.tpn.stg_rssb": {
            "resource_type": "model",
            "name": "stg_rssb",
            "raw_code": "select * from {{ source('rssb', 'weekly') }}",
            "created_at": 1.0,
        },
        "model.tpn.fct_pairs": {
            "resource_type": "model",
            "name": "fct_pairs",
            "raw_code": "select started_on <= CURRENT_DATE as is_active from pairs",
            "created_at": 1.0,
        },
    },
    "unit_tests": {"unit_test.tpn.stg_rssb.t": {"given": [], "expect": {"rows": []}}},
    "macros": {"macro.tpn.m": {"macro_sql": "1", "created_at": 1.0}},
    "sources": {
        "source.tpn.rssb.weekly": {
            "source_name": "rssb",
            "name": "weekly",
            "schema": "landing",
            "identifier": "rssb_weekly",
        },
        "source.tpn.moh.results": {
            "source_name": "moh",
            "name": "results",
            "schema": "landing",
            "identifier": "moh_results",
        },
    },
}


def test_the_project_fingerprint_follows_definitions_not_parse_times() -> None:
    reference = project_fingerprint(MANIFEST, {"weeks": 4})
    reparsed = copy.deepcopy(MANIFEST)
    reparsed["nodes"]["model.tpn.stg_rssb"]["created_at"] = 2.0
    reparsed["macros"]["macro.tpn.m"]["created_at"] = 2.0
    assert project_fingerprint(reparsed, {"weeks": 4}) == reference
    assert project_fingerprint(MANIFEST, {"weeks": 5}) != reference
    for section, uid, key, value in (
        ("nodes", "model.tpn.stg_rssb", "raw_code", "select 1"),
        ("unit_tests", "unit_test.tpn.stg_rssb.t", "expect", {"rows": [{"a": 1}]}),
        ("macros", "macro.tpn.m", "macro_sql", "2"),
        ("sources", "source.tpn.rssb.weekly", "identifier", "rssb_weekly_v2"),
    ):
        edited = copy.deepcopy(MANIFEST)
        edited[section][uid][key] = value
        assert project_fingerprint(edited, {"weeks": 4}) != reference, (section, key)


def test_source_signatures_follow_the_rows_not_their_order() -> None:
    con = duckdb.connect()
    con.execute("create schema landing")
    con.execute("create table landing.rssb_weekly (district varchar, members bigint)")
    con.execute("insert into landing.rssb_weekly values ('gasabo', 10), ('huye', 20)")
    first = source_signatures(con, MANIFEST)
    assert first["source.tpn.moh.results"] == "missing"
    con.execute("delete from landing.rssb_weekly")
    con.execute("insert into landing.rssb_weekly values ('huye', 20), ('gasabo', 10)")
    assert source_signatures(con, MANIFEST) == first
    con.execute("update landing.rssb_weekly set members = 11 where district = 'gasabo'")
    assert (
        source_signatures(con, MANIFEST)["source.tpn.rssb.weekly"]
        != (first["source.tpn.rssb.weekly"])
    )
    con.execute("insert into landing.rssb_weekly values ('huye', 20)")  # a row twice
    twice = source_signatures(con, MANIFEST)["source.tpn.rssb.weekly"]
    con.execute("alter table landing.rssb_weekly alter members type double")
    assert source_signatures(con, MANIFEST)["source.tpn.rssb.weekly"] != twice


def test_models_reading_the_clock_are_volatile() -> None:
    assert volatile_models(MANIFEST) == ["fct_pairs"]


def test_the_plan() -> None:
    sources = {"source.tpn.rssb.weekly": "a", "source.tpn.moh.results": "missing"}
    recorded = {"project_fingerprint": "p1", "source_signatures": dict(sources)}
    first = plan_selection(MANIFEST, "p1", sources, {})
    assert first.is_full and not first.exclude_unit_tests
    assert plan_selection(MANIFEST, "p2", sources, recorded).is_full
    idle = plan_selection(MANIFEST, "p1", sources, recorded)
    assert idle.select == ("fct_pairs+",) and idle.exclude_unit_tests
    friday = plan_selection(MANIFEST, "p1", {**sources, "source.tpn.rssb.weekly": "b"}, recorded)
    assert friday.select == ("source:rssb.weekly+", "fct_pairs+")
    assert friday.reason.startswith("sources changed: rssb.weekly;")
