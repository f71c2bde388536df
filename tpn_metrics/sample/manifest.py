"""The sample's manifest: what was written, the focus groups, the stale RSSB targets, and the
paper's figures next to the values the written files actually give.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from tpn_metrics.calendar import fiscal_year_label
from tpn_metrics.reference import District
from tpn_metrics.sample import accreditation as acc
from tpn_metrics.sample.accreditation_files import results_published
from tpn_metrics.sample.anomalies import InjectedAnomaly
from tpn_metrics.sample.cbhi import COMPARISON_CHANGE_PP, FOCUS_CHANGE_PP, CbhiSample
from tpn_metrics.sample.design import Design
from tpn_metrics.sample.dhis2_effects import ServiceTopic, StaleDenominator
from tpn_metrics.sample.dhis2_values import STALE_GROWTH_PER_YEAR
from tpn_metrics.sample.timeline import FISCAL_YEARS


@dataclass(frozen=True)
class StaleDistrict:
    """A district whose RSSB target population drifts from the true eligible population."""

    district_id: str
    district_name: str
    direction: str
    target_vs_true_pct: tuple[tuple[str, float], ...]
    """(fiscal year, (RSSB target / true eligible population - 1) * 100)."""


@dataclass(frozen=True)
class FocusGroup:
    """The focus and comparison units (hospital or district ids) of one evaluation topic."""

    topic: str
    unit: str
    focus: tuple[str, ...]
    comparison: tuple[str, ...]


@dataclass(frozen=True)
class CalibrationFigure:
    """A paper figure (``target``, pp) next to what the written files give (``achieved``)."""

    metric: str
    group: str
    n: int
    target: float
    achieved: float | None
    baseline_mean: float | None


@dataclass(frozen=True)
class RssbCorrection:
    """The one weekly file RSSB re-sent with corrected members paid (persons)."""

    district_id: str
    report_date: dt.date
    previous_members_paid: int
    corrected_members_paid: int


@dataclass(frozen=True)
class SampleManifest:
    """What :func:`~tpn_metrics.sample.generator.generate_sample` wrote and calibrated to."""

    seed: int
    out_dir: Path
    files: tuple[str, ...]
    """Paths written, relative to ``out_dir``, POSIX style, sorted."""
    stale_target_districts: tuple[StaleDistrict, ...]
    focus_groups: tuple[FocusGroup, ...]
    calibration: tuple[CalibrationFigure, ...]
    rssb_correction: RssbCorrection
    rssb_formats: tuple[tuple[str, int], ...]
    """How many weekly files of each format: csv, csv_semicolon (with BOM), xlsx."""
    reference_sha256: tuple[tuple[str, str], ...]
    """The reference seeds the sample was drawn from and calibrated against."""
    cut_off: dt.date | None = None
    """``today`` when it was early enough to leave files out; None when nothing was left out."""
    anomalies: tuple[InjectedAnomaly, ...] = ()
    """The data-quality anomalies injected on purpose (those in files written)."""
    service_topics: tuple[ServiceTopic, ...] = ()
    """Each DHIS2 service topic's focus effect per level, as drawn and as the files give it."""
    dhis2_anc_denominators: tuple[StaleDenominator, ...] = ()
    """Districts whose DHIS2 expected pregnancies (a stale projection) are far from the census."""

    def to_json_dict(self, file_hashes: dict[str, str] | None = None) -> dict[str, Any]:
        """The manifest as JSON-ready data; ``file_hashes`` maps a written path to its SHA-256."""
        # out_dir is left out: the manifest must be byte-identical wherever it is written.
        hashes = file_hashes or {}
        return {
            "seed": self.seed,
            "cut_off": self.cut_off.isoformat() if self.cut_off else None,
            "files": [{"path": f, "sha256": hashes.get(f)} for f in self.files],
            "rssb_formats": dict(self.rssb_formats),
            "injected_anomalies": [a.to_json_dict() for a in self.anomalies],
            "reference_sha256": dict(self.reference_sha256),
            "stale_target_districts": [
                {
                    "district_id": s.district_id,
                    "district_name": s.district_name,
                    "direction": s.direction,
                    "target_vs_true_pct": dict(s.target_vs_true_pct),
                }
                for s in self.stale_target_districts
            ],
            "rssb_correction": {
                "district_id": self.rssb_correction.district_id,
                "report_date": self.rssb_correction.report_date.isoformat(),
                "previous_members_paid": self.rssb_correction.previous_members_paid,
                "corrected_members_paid": self.rssb_correction.corrected_members_paid,
            },
            "focus_groups": [
                {
                    "topic": g.topic,
                    "unit": g.unit,
                    "focus": list(g.focus),
                    "comparison": list(g.comparison),
                }
                for g in self.focus_groups
            ],
            "service_topics": [t.to_json_dict() for t in self.service_topics],
            "dhis2_anc_denominators": {
                "stale_growth_per_year": STALE_GROWTH_PER_YEAR,
                "stale_districts": [d.to_json_dict() for d in self.dhis2_anc_denominators],
            },
            "calibration": [
                {
                    "metric": c.metric,
                    "group": c.group,
                    "n": c.n,
                    "target": c.target,
                    "achieved": c.achieved,
                    "baseline_mean": c.baseline_mean,
                }
                for c in self.calibration
            ],
        }


def stale_districts(cbhi: CbhiSample, districts: Sequence[District]) -> tuple[StaleDistrict, ...]:
    """The stale-target districts of ``cbhi``, named, with target vs true per fiscal year (%)."""
    names = {d.district_id: d.district_name for d in districts}
    return tuple(
        StaleDistrict(
            s.district_id,
            names[s.district_id],
            s.direction,
            tuple(
                (fiscal_year_label(fy), pct)
                for fy, pct in zip(FISCAL_YEARS, s.target_vs_true_pct, strict=True)
            ),
        )
        for s in cbhi.stale
    )


def calibration_figures(
    cbhi: CbhiSample,
    scores: Sequence[acc.Scores],
    *,
    design: Design,
    focus_hospitals: Sequence[str],
    comparison_hospitals: Sequence[str],
    ids: Sequence[str],
    today: dt.date,
) -> tuple[CalibrationFigure, ...]:
    """Targets next to what the written values give (None where the files were not written)."""

    def coverage(day: dt.date) -> dict[str, float]:
        return {r.district_id: r.members_paid / r.target_population * 100 for r in cbhi.rows[day]}

    start, end = coverage(cbhi.baseline_date), coverage(cbhi.endline_date)
    has_cbhi = cbhi.endline_date <= today
    has_scores = results_published(acc.ENDLINE_YEAR) <= today
    figures = []
    for group, hospital_ids, target in (
        ("focus", focus_hospitals, acc.FOCUS_CHANGE),
        ("comparison", comparison_hospitals, acc.COMPARISON_CHANGE),
    ):
        figures.append(
            CalibrationFigure(
                metric="accreditation_level_2_change_2021_2023_pp",
                group=group,
                n=len(hospital_ids),
                target=target,
                achieved=round(acc.mean_change(scores, hospital_ids), 4) if has_scores else None,
                baseline_mean=round(acc.mean_level_2(scores, hospital_ids, acc.BASELINE_YEAR), 4),
            )
        )
    for group, members, target in (
        ("focus", [d for d in ids if d in design.cbhi_focus], FOCUS_CHANGE_PP),
        ("comparison", [d for d in ids if d not in design.cbhi_focus], COMPARISON_CHANGE_PP),
    ):
        change = float(np.mean([end[d] - start[d] for d in members]))
        figures.append(
            CalibrationFigure(
                metric=(
                    f"cbhi_reported_coverage_change_{cbhi.baseline_date.isoformat()}"
                    f"_{cbhi.endline_date.isoformat()}_pp"
                ),
                group=group,
                n=len(members),
                target=target,
                achieved=round(change, 4) if has_cbhi else None,
                baseline_mean=round(float(np.mean([start[d] for d in members])), 4),
            )
        )
    return tuple(figures)
