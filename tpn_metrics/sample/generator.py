"""Generate the demo's synthetic input files and say what they were calibrated to.

Everything is drawn from one seed, each part from its own stream, so a change to how one part
is drawn leaves the others as they were. The reference seeds (districts, census populations,
hospitals) are read at run time; the files are synthetic but shaped like the real ones.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from tpn_metrics.calendar import fiscal_year_label
from tpn_metrics.reference import (
    District,
    Hospital,
    hospital_resolver,
    load_districts,
    load_hospitals,
)
from tpn_metrics.sample import accreditation as acc
from tpn_metrics.sample.cbhi import COMPARISON_CHANGE_PP, FOCUS_CHANGE_PP, CbhiSample, build_cbhi
from tpn_metrics.sample.design import ACCREDITATION, CBHI_ENROLLMENT, Design, build_design
from tpn_metrics.sample.rssb_files import plan_layouts, write_weekly
from tpn_metrics.sample.timeline import FISCAL_YEARS
from tpn_metrics.sample.writers import Cell, write_csv, write_xlsx
from tpn_metrics.settings import Settings

RSSB_FOLDER = "rssb_weekly"
ACCREDITATION_FOLDER = "accreditation"
REGISTRY_FOLDER = "registry"
MANIFEST_NAME = "manifest.json"
REFERENCE_FILES = ("districts.csv", "district_census_populations.csv", "hospitals.csv")
# Results are published after the April-May surveys; a file is "available" from this day.
RESULTS_PUBLISHED = (6, 30)

_STREAM_DESIGN = 1
_STREAM_CBHI = 2
_STREAM_ACCREDITATION = 3
_STREAM_LAYOUT = 4
_STREAM_NAMES = 5


@dataclass(frozen=True)
class StaleDistrict:
    district_id: str
    district_name: str
    direction: str
    target_vs_true_pct: tuple[tuple[str, float], ...]
    """(fiscal year, (RSSB target / true eligible population - 1) * 100)."""


@dataclass(frozen=True)
class FocusGroup:
    topic: str
    unit: str
    focus: tuple[str, ...]
    comparison: tuple[str, ...]


@dataclass(frozen=True)
class CalibrationFigure:
    metric: str
    group: str
    n: int
    target: float
    achieved: float | None
    baseline_mean: float | None


@dataclass(frozen=True)
class RssbCorrection:
    district_id: str
    report_date: dt.date
    previous_members_paid: int
    corrected_members_paid: int


@dataclass(frozen=True)
class SampleManifest:
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

    def to_json_dict(self, file_hashes: dict[str, str] | None = None) -> dict[str, Any]:
        # out_dir is left out: the manifest must be byte-identical wherever it is written.
        hashes = file_hashes or {}
        return {
            "seed": self.seed,
            "cut_off": self.cut_off.isoformat() if self.cut_off else None,
            "files": [{"path": f, "sha256": hashes.get(f)} for f in self.files],
            "rssb_formats": dict(self.rssb_formats),
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


def generate_sample(
    out_dir: Path,
    seed: int = 2024,
    *,
    today: dt.date | None = None,
    reference_dir: Path | None = None,
) -> SampleManifest:
    """Write the synthetic RSSB, accreditation and registry files under ``out_dir``.

    Files dated after ``today`` (default: the real date) are not written, since a loader rightly
    rejects a report from the future. ``reference_dir`` defaults to the dbt reference seeds.
    """
    seeds_dir = reference_dir or Settings().seeds_dir
    today = today or dt.date.today()
    districts = load_districts(seeds_dir)
    hospitals = load_hospitals(seeds_dir)
    design = build_design(districts, hospitals, np.random.default_rng([seed, _STREAM_DESIGN]))
    cbhi = build_cbhi(districts, design.cbhi_focus, np.random.default_rng([seed, _STREAM_CBHI]))
    focus_hospitals = [h for h in design.evaluated_hospitals if h in design.accreditation_focus]
    comparison_hospitals = [
        h for h in design.evaluated_hospitals if h not in design.accreditation_focus
    ]
    scores = acc.build_scores(
        np.random.default_rng([seed, _STREAM_ACCREDITATION]),
        focus_hospitals,
        comparison_hospitals,
        design.other_surveyed_hospitals,
    )

    out_dir.mkdir(parents=True, exist_ok=True)
    previous = _previous_files(out_dir)
    written: list[Path] = []
    layouts = plan_layouts(
        np.random.default_rng([seed, _STREAM_LAYOUT]),
        cbhi.report_dates,
        [d.district_id for d in districts],
    )
    weekly_days = [day for day in cbhi.report_dates if day <= today]
    rssb_dir = out_dir / RSSB_FOLDER
    rssb_dir.mkdir(parents=True, exist_ok=True)
    written += [
        write_weekly(rssb_dir, day, cbhi.rows[day], districts, layouts[day]) for day in weekly_days
    ]
    written += _write_accreditation(
        out_dir / ACCREDITATION_FOLDER,
        scores,
        districts=districts,
        hospitals=hospitals,
        seeds_dir=seeds_dir,
        seed=seed,
        today=today,
    )
    written += _write_registry(out_dir / REGISTRY_FOLDER, design, districts, today)
    relative = sorted(p.relative_to(out_dir).as_posix() for p in written)
    # A different seed names its weekly files differently; files a previous run recorded and
    # this one did not rewrite would otherwise be loaded as extra reports.
    for stale_file in previous - set(relative):
        (out_dir / stale_file).unlink(missing_ok=True)

    ids = [d.district_id for d in districts]
    formats = Counter(layouts[day].file_format for day in weekly_days)
    last_dated = max(
        cbhi.report_dates[-1],
        _published(acc.SURVEY_YEARS[-1]),
        *(e.event_date for e in design.events),
    )
    manifest = SampleManifest(
        seed=seed,
        out_dir=out_dir,
        files=tuple(relative),
        stale_target_districts=_stale(cbhi, districts),
        focus_groups=(
            FocusGroup(
                ACCREDITATION, "hospital", tuple(focus_hospitals), tuple(comparison_hospitals)
            ),
            FocusGroup(
                CBHI_ENROLLMENT,
                "district",
                tuple(d for d in ids if d in design.cbhi_focus),
                tuple(d for d in ids if d not in design.cbhi_focus),
            ),
        ),
        calibration=_calibration(
            cbhi,
            scores,
            design=design,
            focus_hospitals=focus_hospitals,
            comparison_hospitals=comparison_hospitals,
            ids=ids,
            today=today,
        ),
        rssb_correction=RssbCorrection(
            cbhi.correction.district_id,
            cbhi.correction.report_date,
            cbhi.correction.previous_members,
            cbhi.correction.corrected_members,
        ),
        rssb_formats=tuple(sorted(formats.items())),
        reference_sha256=tuple(
            (name, hashlib.sha256((seeds_dir / name).read_bytes()).hexdigest())
            for name in REFERENCE_FILES
        ),
        cut_off=today if today < last_dated else None,
    )
    hashes = {f: hashlib.sha256((out_dir / f).read_bytes()).hexdigest() for f in relative}
    text = json.dumps(manifest.to_json_dict(hashes), indent=2, ensure_ascii=False) + "\n"
    (out_dir / MANIFEST_NAME).write_text(text, encoding="utf-8")
    return manifest


def _previous_files(out_dir: Path) -> set[str]:
    path = out_dir / MANIFEST_NAME
    if not path.exists():
        return set()
    try:
        recorded = json.loads(path.read_text(encoding="utf-8")).get("files", [])
        names = {str(entry["path"]) for entry in recorded}
    except (ValueError, TypeError, KeyError, AttributeError):
        return set()
    # Only files under the sample's own folders, never anything a manifest could point outside.
    folders = (RSSB_FOLDER, ACCREDITATION_FOLDER, REGISTRY_FOLDER)
    return {
        n
        for n in names
        if len(Path(n).parts) == 2 and Path(n).parts[0] in folders and ".." not in Path(n).parts
    }


def _published(year: int) -> dt.date:
    return dt.date(year, *RESULTS_PUBLISHED)


def _name_as_written(rng: np.random.Generator, hospital: Hospital, seeds_dir: Path) -> str:
    """The canonical name mostly; sometimes an alias or a "DH"/"District Hospital" suffix."""
    base = hospital.hospital_name.removesuffix(" Hospital").removesuffix(" District")
    options = list(hospital.aliases)
    if hospital.hospital_category == "district" and base != hospital.hospital_name:
        options += [f"{base} DH", f"{base} District Hospital"]
    draw = rng.random()
    if not options or draw < 0.7:
        return hospital.hospital_name
    name = options[int(rng.integers(len(options)))]
    # Only variants the warehouse resolves back to this hospital: the sample is clean input.
    try:
        resolved = hospital_resolver(seeds_dir).resolve(name)
    except ValueError:
        return hospital.hospital_name
    return name if resolved == hospital.hospital_id else hospital.hospital_name


def _write_accreditation(
    folder: Path,
    scores: Sequence[acc.Scores],
    *,
    districts: Sequence[District],
    hospitals: Sequence[Hospital],
    seeds_dir: Path,
    seed: int,
    today: dt.date,
) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng([seed, _STREAM_NAMES])
    by_id = {h.hospital_id: h for h in hospitals}
    district_names = {d.district_id: d.district_name for d in districts}
    written = []
    for year in acc.SURVEY_YEARS:
        rows = sorted(
            (s for s in scores if s.survey_year == year),
            key=lambda s: (by_id[s.hospital_id].district_id, by_id[s.hospital_id].hospital_name),
        )
        if year == 2022:
            rows.sort(key=lambda s: by_id[s.hospital_id].hospital_name)
        table: list[list[Cell]] = []
        for s in rows:
            hospital = by_id[s.hospital_id]
            levels: list[Cell] = [
                None if v is None else (f"{v / 1000:.3f}" if year == 2022 else v / acc.TENTHS)
                for v in (s.level_1, s.level_2, s.level_3)
            ]
            table.append(
                [
                    year,
                    _name_as_written(rng, hospital, seeds_dir),
                    district_names[hospital.district_id],
                    hospital.hospital_category,
                    *levels,
                ]
            )
        if _published(year) > today:
            continue
        if year == 2021:
            path = folder / "moh_accreditation_2021.xlsx"
            header: list[Cell] = ["Year", "Hospital", "District", "Category", "L1", "L2", "L3"]
            write_xlsx(
                path,
                [header, *table],
                stamp=dt.datetime(2021, 6, 30, 9, 0, 0),
                sheet_title="Results 2021",
                author="MOH Quality Unit",
            )
        elif year == 2022:
            # This year's sheet was exported with scores as fractions of 1.
            path = folder / "moh_accreditation_2022.csv"
            header = [
                "survey_year",
                "hospital",
                "district",
                "hospital_category",
                "level_1_score",
                "level_2_score",
                "level_3_score",
            ]
            write_csv(path, [header, *table])
        else:
            path = folder / "moh_accreditation_2023.xlsx"
            header = ["survey_year", "Facility", "District", "Level", "Level1", "Level2", "Level3"]
            write_xlsx(
                path,
                [header, *table],
                stamp=dt.datetime(2023, 6, 30, 9, 0, 0),
                sheet_title="Accreditation 2023",
                author="MOH Quality Unit",
            )
        written.append(path)
    return written


def _write_registry(
    folder: Path, design: Design, districts: Sequence[District], today: dt.date
) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    names = {d.district_id: d.district_name for d in districts}
    members = [i for i in design.institutions if i.joined_on <= today]
    present = {i.institution_id for i in members}
    tables: dict[str, list[list[Cell]]] = {
        "institutions": [
            [
                "institution_id",
                "name",
                "kind",
                "district",
                "hospital_category",
                "is_tpn_member",
                "joined_on",
            ],
            *(
                [
                    i.institution_id,
                    i.name,
                    i.kind,
                    names[i.district_id],
                    i.hospital_category,
                    "true",
                    i.joined_on,
                ]
                for i in members
            ),
        ],
        "priorities": [
            ["institution_id", "topic", "rank", "chosen_on"],
            *(
                [p.institution_id, p.topic, p.rank, p.chosen_on]
                for p in design.priorities
                if p.institution_id in present
            ),
        ],
        "strengths": [
            ["institution_id", "topic"],
            *([s.institution_id, s.topic] for s in design.strengths if s.institution_id in present),
        ],
        "pairs": [
            ["rising_id", "shining_id", "topic", "started_on", "ended_on"],
            *(
                [
                    p.rising_id,
                    p.shining_id,
                    p.topic,
                    p.started_on,
                    p.ended_on if p.ended_on and p.ended_on <= today else None,
                ]
                for p in design.pairs
                if p.started_on <= today
            ),
        ],
        "events": [
            ["event_date", "kind", "topic", "institution_ids"],
            *(
                [e.event_date, e.kind, e.topic, ";".join(e.institution_ids)]
                for e in design.events
                if e.event_date <= today
            ),
        ],
    }
    written = []
    for name, table in tables.items():
        path = folder / f"{name}.csv"
        write_csv(path, table)
        written.append(path)
    return written


def _stale(cbhi: CbhiSample, districts: Sequence[District]) -> tuple[StaleDistrict, ...]:
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


def _calibration(
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
    has_scores = _published(acc.ENDLINE_YEAR) <= today
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
