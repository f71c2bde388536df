"""The seven stale-target districts of the sample: every signal of their email on the
census-corrected target, checked against values computed here, in SQL, from the marts.

The sample generator records which districts have a stale RSSB target
(``manifest.json``, ``stale_target_districts``). For each, on the session warehouse's latest
Friday: the corrected coverage, its week-on-week change, the gap to target in members and
households, the projection to 30 June, the ranks in the province and nationally, the
national coverage and the chart's series; and the same on RSSB's target beside them. The
"which figure to trust" sentence is checked in the three languages.
"""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import io
import json
from email.message import EmailMessage
from pathlib import Path

import matplotlib.image
import numpy as np
import pandas as pd
import pytest

from tests.emails.support import SampleWeeks
from tpn_metrics.dbt_vars import project_vars
from tpn_metrics.emails.chart import REPORTED_COLOUR, THIS_FY_COLOUR
from tpn_metrics.emails.content import render_district_email
from tpn_metrics.emails.district_figures import PACE_WEEKS, district_weeks, latest_report_date
from tpn_metrics.emails.labels import LABELS
from tpn_metrics.emails.rows import fmt_int, fmt_pct
from tpn_metrics.emails.week import DistrictWeek
from tpn_metrics.settings import Settings
from tpn_metrics.warehouse import open_warehouse

pytestmark = pytest.mark.slow

# Every signal, recomputed from the two marts with window functions: nothing from
# tpn_metrics.reports. $pace is PACE_WEEKS (the projection's pace is the mean weekly gain over
# the last $pace weeks); $fridays_left the Fridays from the report to 30 June.
SIGNALS_SQL = """
with reports as (
    select
        weekly.district_id,
        districts.district_name,
        districts.province,
        weekly.report_date,
        weekly.fiscal_year,
        weekly.members_paid,
        weekly.households_paid,
        weekly.target_population,
        corrected.corrected_target_central,
        corrected.is_coverage_divergent,
        100.0 * weekly.members_paid / corrected.corrected_target_central as corrected_pct,
        100.0 * weekly.members_paid / weekly.target_population as reported_pct
    from marts.fct_cbhi_weekly as weekly
    inner join marts.dim_district as districts using (district_id)
    inner join marts.fct_cbhi_coverage_corrected as corrected using (district_id, report_date)
),
changes as (
    select
        *,
        corrected_pct - lag(corrected_pct) over fiscal_year_reports as corrected_change_pp,
        reported_pct - lag(reported_pct) over fiscal_year_reports as reported_change_pp,
        (members_paid - lag(members_paid, $pace) over fiscal_year_reports) / $pace
            as weekly_gain
    from reports
    window fiscal_year_reports as (partition by district_id, fiscal_year order by report_date)
),
this_week as (
    select
        *,
        members_paid + greatest(weekly_gain, 0) * $fridays_left as year_end_members,
        greatest(corrected_target_central - members_paid, 0) as gap,
        greatest(target_population - members_paid, 0) as gap_reported,
        rank() over (order by corrected_pct desc) as rank_national,
        rank() over (partition by province order by corrected_pct desc) as rank_province,
        rank() over (order by reported_pct desc) as rank_national_reported,
        rank() over (partition by province order by reported_pct desc)
            as rank_province_reported,
        100.0 * sum(members_paid) over () / sum(corrected_target_central) over ()
            as national_pct,
        100.0 * sum(members_paid) over () / sum(target_population) over ()
            as national_reported_pct
    from changes
    where report_date = $report_date
)
select
    *,
    gap * households_paid / members_paid as gap_households,
    gap_reported * households_paid / members_paid as gap_households_reported,
    100.0 * year_end_members / corrected_target_central as projected_pct,
    100.0 * year_end_members / target_population as projected_reported_pct
from this_week
"""


def stale_districts(sample: SampleWeeks) -> dict[str, str]:
    """district_id → direction ('too_low' / 'too_high') of RSSB's target, as generated."""
    manifest = json.loads((sample.root / "manifest.json").read_text(encoding="utf-8"))
    return {d["district_id"]: d["direction"] for d in manifest["stale_target_districts"]}


@pytest.fixture(scope="module")
def weeks_and_signals(
    built_home: Path,
) -> tuple[dt.date, dict[str, DistrictWeek], pd.DataFrame]:
    settings = Settings(home=built_home)
    with open_warehouse(settings.warehouse_path, read_only=True) as con:
        day = latest_report_date(con)
        assert day is not None
        fridays_left = (dt.date(day.year if day.month < 7 else day.year + 1, 6, 30) - day).days // 7
        sql = (
            SIGNALS_SQL.replace("$pace", str(PACE_WEEKS))
            .replace("$fridays_left", str(fridays_left))
            .replace("$report_date", f"date '{day.isoformat()}'")
        )
        signals = con.execute(sql).df().set_index("district_id")
        weeks = {w.district_id: w for w in district_weeks(con, day)}
    return day, weeks, signals


def test_the_sample_has_seven_stale_targets_and_dbt_flags_them(
    sample_weeks: SampleWeeks, weeks_and_signals, built_home: Path
) -> None:
    _, weeks, signals = weeks_and_signals
    stale = stale_districts(sample_weeks)
    assert len(stale) == 7
    threshold = float(
        project_vars(Settings(home=built_home).dbt_project_dir)["coverage_divergence_threshold_pp"]
    )
    gap_pp = (signals["corrected_pct"] - signals["reported_pct"]).abs()
    assert (signals["is_coverage_divergent"] == (gap_pp > threshold)).all()
    for district_id in stale:
        assert signals.loc[district_id, "is_coverage_divergent"], district_id
        assert weeks[district_id].is_coverage_divergent
    # RSSB's target too low inflates the reported coverage, too high deflates it.
    for district_id, direction in stale.items():
        corrected, reported = signals.loc[district_id, ["corrected_pct", "reported_pct"]]
        assert (reported > corrected) == (direction == "too_low"), district_id


def test_every_signal_of_the_stale_districts_is_on_the_corrected_target(
    sample_weeks: SampleWeeks, weeks_and_signals
) -> None:
    day, weeks, signals = weeks_and_signals
    for district_id in stale_districts(sample_weeks):
        week, row = weeks[district_id], signals.loc[district_id]
        assert week.report_date == day
        assert week.coverage_corrected_pct == pytest.approx(row["corrected_pct"])
        assert week.corrected_target_population == row["corrected_target_central"]
        assert week.coverage_change_week_pp == pytest.approx(row["corrected_change_pp"])
        assert week.gap_members == row["gap"]
        assert week.gap_members > 0 or row["corrected_pct"] >= 100
        # Households: the members gap at the district's members per household as RSSB
        # reports them, rounded to a household.
        assert week.gap_households is not None
        assert abs(week.gap_households - row["gap_households"]) <= 0.5
        assert week.projected_year_end_coverage_pct == pytest.approx(row["projected_pct"])
        assert week.rank_national == row["rank_national"]
        assert week.rank_province == row["rank_province"]
        assert week.national_coverage_pct == pytest.approx(row["national_pct"])
        # The chart: this fiscal year's corrected coverage, and the reported one beside it.
        assert week.trajectory_this_fy[-1] == (day, pytest.approx(row["corrected_pct"]))
        assert week.trajectory_this_fy_reported[-1] == (day, pytest.approx(row["reported_pct"]))

        reported = week.reported
        assert reported is not None
        assert reported.coverage_change_week_pp == pytest.approx(row["reported_change_pp"])
        assert reported.gap_members == row["gap_reported"]
        if row["gap_reported"]:
            assert reported.gap_households is not None
            assert abs(reported.gap_households - row["gap_households_reported"]) <= 0.5
        assert reported.projected_year_end_coverage_pct == pytest.approx(
            row["projected_reported_pct"]
        )
        assert reported.rank_national == row["rank_national_reported"]
        assert reported.rank_province == row["rank_province_reported"]
        assert reported.national_coverage_pct == pytest.approx(row["national_reported_pct"])


def _parsed(week: DistrictWeek, language: str) -> EmailMessage:
    message = render_district_email(
        week, recipients=["dhmt@example.org"], sender="tpn@example.org", language=language
    )
    parsed = email.message_from_bytes(message.as_bytes(), policy=email.policy.default)
    assert isinstance(parsed, EmailMessage)
    return parsed


def _texts(message: EmailMessage) -> tuple[str, str, bytes]:
    plain = message.get_body(("plain",))
    html = message.get_body(("html",))
    assert plain is not None and html is not None
    image = next(p for p in message.walk() if p.get_content_type() == "image/png")
    return (
        plain.get_content().replace("\r\n", "\n"),
        html.get_content(),
        image.get_content(),
    )


def _colour_pixels(png: bytes, colour: str) -> int:
    image = np.asarray(matplotlib.image.imread(io.BytesIO(png), format="png"))[..., :3]
    rgb = np.array([int(colour[i : i + 2], 16) for i in (1, 3, 5)]) / 255
    return int(np.all(np.abs(image - rgb) <= 30 / 255, axis=-1).sum())


def test_the_stale_districts_emails_say_which_figure_to_trust_in_every_language(
    sample_weeks: SampleWeeks, weeks_and_signals
) -> None:
    _, weeks, signals = weeks_and_signals
    for district_id, direction in stale_districts(sample_weeks).items():
        week, row = weeks[district_id], signals.loc[district_id]
        for language, labels in LABELS.items():
            text, html, chart = _texts(_parsed(week, language))
            key = "trust_target_low" if direction == "too_low" else "trust_target_high"
            sentence = labels[key].format(
                district=week.district_name,
                rssb_target=fmt_int(int(row["target_population"]), labels),
                corrected_target=fmt_int(int(row["corrected_target_central"]), labels),
                pct=fmt_pct(float(row["corrected_pct"]), labels),
                reported_pct=fmt_pct(float(row["reported_pct"]), labels),
            )
            assert sentence in text, (district_id, language)
            assert sentence.replace("'", "&#39;") in html, (district_id, language)
            # Primary (census-based) first, RSSB's figure beside it.
            primary = labels["primary_basis"].format(value="")
            beside = labels["reported_beside"].format(value="")
            assert text.index(primary) < text.index(beside)
            if language == "en":
                gap = f"Census-based: {int(row['gap']):,} members, "
                assert gap in text
                ranks = (
                    f"Census-based: {int(row['rank_province'])} of "
                    f"{week.n_province} in {week.province} · "
                    f"{int(row['rank_national'])} of 30 nationally"
                )
                assert ranks in text
                assert f"As reported by RSSB: {fmt_pct(row['projected_reported_pct'], labels)}" in (
                    text
                )
            # Both chart lines are drawn.
            assert _colour_pixels(chart, THIS_FY_COLOUR) > 150, (district_id, language)
            assert _colour_pixels(chart, REPORTED_COLOUR) > 150, (district_id, language)


def test_districts_whose_figures_agree_get_no_trust_sentence(weeks_and_signals) -> None:
    _, weeks, signals = weeks_and_signals
    agreeing = signals.index[~signals["is_coverage_divergent"].astype(bool)]
    assert len(agreeing) >= 10
    for district_id in agreeing:
        text, _, _ = _texts(_parsed(weeks[district_id], "en"))
        assert "Which figure to trust" not in text
        assert "Census-based:" in text  # the gaps still differ: both are shown


def test_all_thirty_emails_rank_on_corrected_coverage(weeks_and_signals) -> None:
    # The issue: ranked on corrected coverage, only 3 of 30 emails stated the right rank.
    _, weeks, signals = weeks_and_signals
    assert len(weeks) == 30
    for district_id, week in weeks.items():
        assert week.rank_national == signals.loc[district_id, "rank_national"], district_id
        assert week.rank_province == signals.loc[district_id, "rank_province"], district_id
        assert week.n_districts == 30


def test_twins_headline_is_their_corrected_coverage(weeks_and_signals) -> None:
    _, weeks, signals = weeks_and_signals
    by_name = signals.reset_index().set_index("district_name")
    twinned = [w for w in weeks.values() if w.twin is not None]
    assert twinned
    for week in twinned:
        assert week.twin is not None
        twin = by_name.loc[week.twin.district_name]
        assert week.twin.coverage_corrected_pct == pytest.approx(twin["corrected_pct"])
        assert week.twin.coverage_change_week_pp == pytest.approx(twin["corrected_change_pp"])
        assert week.twin.coverage_reported_pct == pytest.approx(twin["reported_pct"])
