"""The data-quality review finds every anomaly the sample injects, and how often it flags the
rest: the false-alarm rate.

A demo-like warehouse: the whole sample (seed 2024, as of 31 July 2023) ingested as the Friday
runs would (not as a backfill, so timeliness is measured), then ``dbt build``. The injected
anomalies are read from the sample's manifest, never retyped here.

False-alarm rate = flags on values that were not injected, over all values checked (each
measure counted once per row where the mart could compute it). The sample's *designed*
features, recorded in its manifest too (the seven stale targets, RSSB's one correction), are
reported apart: flagging them is the review doing its job, not a false alarm.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass

import pytest

from tpn_metrics.dbt_runner import dbt_build_in_place
from tpn_metrics.ingest.intake import ingest_paths
from tpn_metrics.sample import SampleManifest, generate_sample
from tpn_metrics.sample.anomalies import InjectedAnomaly
from tpn_metrics.settings import Settings
from tpn_metrics.warehouse import open_warehouse

pytestmark = pytest.mark.slow

SEED = 2024
SAMPLE_TODAY = dt.date(2023, 7, 31)
# Per measure of fct_dq_flags: the column of fct_dq_cbhi_district_reports that is non-null
# where the mart could check the value (the denominator of the false-alarm rate).
RSSB_CHECKED = {
    "district_missing": "is_district_reported",
    "late_file": "case when timeliness_status in ('on_time', 'late') then 1 end",
    "members_paid_increment": "coalesce(modified_z_score, increment_median)",
    "negative_increment": "members_paid_increment",
    "coverage_consistency": "consistency_ratio",
    "coverage_rate": "coverage_rate_gap_pp",
    "household_size": "members_per_household",
    "payments_reconciliation": "is_payments_inconsistent",
    "target_stale": "is_target_stale",
    "target_growth": "target_growth_pct",
}

# Measures on which the sample has nothing but the injected anomaly and its designed
# features. Two others do flag clean sample values, and the rate above counts them: the
# consistency ratio in the first weeks of a fiscal year (cumulative coverage near zero, its
# ratio to earlier years swings with when the season's payments start), and target growth,
# since the generator draws each fresh district's target within +/-2.5 % of the true
# population independently every year (growth then wanders +/-5 pp around the projection's).
CLEAN_BY_CONSTRUCTION = {
    "district_missing",
    "late_file",
    "week_missing",
    "members_paid_increment",
    "negative_increment",
    "coverage_rate",
    "household_size",
    "score_change",
    "hospitals_surveyed",
}

FlagKey = tuple[str | None, dt.date | None, str]
"""(district_id, report_date, measure)."""


@dataclass(frozen=True)
class Review:
    manifest: SampleManifest
    flags: list[dict[str, object]]
    checked: dict[str, int]


@pytest.fixture(scope="module")
def review(tmp_path_factory: pytest.TempPathFactory) -> Review:
    root = tmp_path_factory.mktemp("dq-sample")
    manifest = generate_sample(root, SEED, today=SAMPLE_TODAY)
    settings = Settings(home=tmp_path_factory.mktemp("dq-warehouse") / "home")
    paths = [root / "registry", root / "accreditation", root / "rssb_weekly"]
    outcomes = ingest_paths(paths, settings)
    assert {o.status for o in outcomes} == {"loaded"}, [o for o in outcomes if o.status != "loaded"]
    dbt_build_in_place(settings)
    with open_warehouse(settings.warehouse_path, read_only=True) as con:
        cursor = con.execute("select * from marts.fct_dq_flags")
        names = [c[0] for c in cursor.description]
        flags = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
        checked = {
            measure: int(
                con.execute(
                    f"select count({column}) from marts.fct_dq_cbhi_district_reports"
                ).fetchone()[0]
            )
            for measure, column in RSSB_CHECKED.items()
        }
        checked["score_change"] = int(
            con.execute(
                "select count(level_2_change_pp) from marts.fct_dq_accreditation_hospitals"
            ).fetchone()[0]
        )
        # weeks expected: those with a file, and those flagged for having none
        checked["week_missing"] = sum(
            int(n)
            for (n,) in con.execute(
                "select count(distinct report_date) from marts.fct_dq_cbhi_district_reports "
                "union all select count(*) from marts.fct_dq_flags where measure = 'week_missing'"
            ).fetchall()
        )
        checked["hospitals_surveyed"] = int(
            con.execute("select count(*) from marts.fct_dq_accreditation_surveys").fetchone()[0]
        )
    return Review(manifest, flags, checked)


def key(flag: dict[str, object]) -> FlagKey:
    report_date = flag["report_date"]
    return (
        str(flag["district_id"]) if flag["district_id"] is not None else None,
        report_date if isinstance(report_date, dt.date) else None,
        str(flag["measure"]),
    )


def found(review: Review, anomaly: InjectedAnomaly) -> list[dict[str, object]]:
    """The flags in the anomaly's dimension and measure, on its district and first report."""
    return [
        f
        for f in review.flags
        if f["dimension"] == anomaly.dimension
        and f["measure"] == anomaly.measure
        and f["report_date"] == anomaly.report_date
        and (anomaly.district_id is None or f["district_id"] == anomaly.district_id)
    ]


def injected_keys(manifest: SampleManifest) -> set[FlagKey]:
    """Every (district, report, measure) an injected anomaly shows in; a late file is late for
    every district of its week (district None matches any)."""
    return {(a.district_id, day, a.measure) for a in manifest.anomalies for day in a.report_dates}


def designed_keys(review: Review) -> set[FlagKey]:
    """The sample's designed features, recorded in its manifest: the seven stale targets (off
    the projection every week, and drifting 2.5 to 3 pp a year further from it, so their
    growth is off too) and RSSB's one correction."""
    stale = {s.district_id for s in review.manifest.stale_target_districts}
    correction = review.manifest.rssb_correction
    keys = {
        key(f)
        for f in review.flags
        if f["measure"] in ("target_stale", "target_growth") and f["district_id"] in stale
    }
    keys.add((correction.district_id, correction.report_date, "negative_increment"))
    return keys


def is_injected(flag_key: FlagKey, injected: set[FlagKey]) -> bool:
    _district, day, measure = flag_key
    return flag_key in injected or (None, day, measure) in injected


def test_the_manifest_records_five_anomalies_one_per_dimension(review: Review) -> None:
    dimensions = [a.dimension for a in review.manifest.anomalies]
    assert sorted(dimensions) == sorted(
        ["timeliness", "completeness", "outliers", "internal_consistency", "denominators"]
    )


@pytest.mark.parametrize(
    "measure",
    ["late_file", "district_missing", "members_paid_increment", "coverage_rate", "target_growth"],
)
def test_the_review_finds_each_injected_anomaly_in_its_dimension(
    review: Review, measure: str
) -> None:
    (anomaly,) = [a for a in review.manifest.anomalies if a.measure == measure]
    flags = found(review, anomaly)
    assert flags, f"not found: {anomaly.detail}"
    for flag in flags:
        observed = float(flag["observed_value"])  # type: ignore[arg-type]
        if measure == "target_growth":
            assert observed == pytest.approx(anomaly.injected_value, abs=0.05)
        else:
            assert observed == pytest.approx(anomaly.injected_value, abs=0.01)
    if measure == "late_file":
        # the whole file is late: every district of that week
        assert len({f["district_id"] for f in flags}) == 30


def test_false_alarm_rate(review: Review) -> None:
    injected = injected_keys(review.manifest)
    designed = designed_keys(review)
    false_alarms: Counter[str] = Counter()
    designed_found: Counter[str] = Counter()
    injected_found: Counter[str] = Counter()
    for flag in review.flags:
        flag_key = key(flag)
        if is_injected(flag_key, injected):
            injected_found[flag_key[2]] += 1
        elif flag_key in designed:
            designed_found[flag_key[2]] += 1
        else:
            false_alarms[flag_key[2]] += 1
    measures = sorted(set(review.checked) | set(false_alarms))
    total_checked = sum(review.checked.values())
    lines = [
        f"{'measure':<26}{'checked':>9}{'injected':>10}{'designed':>10}{'false':>7}{'rate':>9}"
    ]
    for measure in measures:
        n = review.checked.get(measure, 0)
        rate = false_alarms[measure] / n if n else float("nan")
        lines.append(
            f"{measure:<26}{n:>9}{injected_found[measure]:>10}{designed_found[measure]:>10}"
            f"{false_alarms[measure]:>7}{rate:>9.2%}"
        )
    false_total = sum(false_alarms.values())
    strict = false_total + sum(designed_found.values())
    lines.append(
        f"false-alarm rate: {false_total} flags on values neither injected nor designed / "
        f"{total_checked} values checked = {false_total / total_checked:.2%}; counting the "
        f"designed features as false alarms too: {strict} / {total_checked} = "
        f"{strict / total_checked:.2%}"
    )
    print("\n" + "\n".join(lines))
    assert total_checked > 0
    assert set(injected_found) == {a.measure for a in review.manifest.anomalies}
    # Where the sample is clean by construction, nothing else may be flagged: every other
    # file on time, complete, increments smooth within each season, rates equal to counts.
    assert not {m: n for m, n in false_alarms.items() if m in CLEAN_BY_CONSTRUCTION}
