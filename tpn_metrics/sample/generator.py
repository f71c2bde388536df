"""Generate the demo's synthetic input files and say what they were calibrated to.

Everything is drawn from one seed, each part from its own stream, so a change to how one part
is drawn leaves the others as they were. The reference seeds (districts, census populations,
hospitals) are read at run time; the files are synthetic but shaped like the real ones.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections import Counter
from dataclasses import replace
from pathlib import Path

import numpy as np

from tpn_metrics.lateness import FileDeadline
from tpn_metrics.reference import load_districts, load_hospitals
from tpn_metrics.sample import accreditation as acc
from tpn_metrics.sample import anomalies
from tpn_metrics.sample.accreditation_files import results_published, write_accreditation
from tpn_metrics.sample.cbhi import build_cbhi
from tpn_metrics.sample.delivery import (
    OFFICE_HOURS,
    friday_evening_times,
    kigali,
    set_delivery_times,
)
from tpn_metrics.sample.design import build_design
from tpn_metrics.sample.dhis2_effects import service_topics, stale_denominators
from tpn_metrics.sample.dhis2_files import write_dhis2
from tpn_metrics.sample.dhis2_values import build_dhis2_values
from tpn_metrics.sample.manifest import (
    FocusGroup,
    RssbCorrection,
    SampleManifest,
    calibration_figures,
    stale_districts,
)
from tpn_metrics.sample.network import ACCREDITATION, CBHI_ENROLLMENT
from tpn_metrics.sample.registry_files import write_registry
from tpn_metrics.sample.rssb_files import COVERAGE, plan_layouts, write_weekly
from tpn_metrics.settings import Settings

RSSB_FOLDER = "rssb_weekly"
ACCREDITATION_FOLDER = "accreditation"
REGISTRY_FOLDER = "registry"
DHIS2_FOLDER = "dhis2"
MANIFEST_NAME = "manifest.json"
REFERENCE_FILES = (
    "districts.csv",
    "district_census_populations.csv",
    "hospitals.csv",
    "dhis2_org_units.csv",
    "dhis2_data_items.csv",
    "crude_birth_rates.csv",
)

_STREAM_DESIGN = 1
_STREAM_CBHI = 2
_STREAM_ACCREDITATION = 3
_STREAM_LAYOUT = 4
_STREAM_NAMES = 5
_STREAM_ANOMALIES = 6
_STREAM_DELIVERY = 7
_STREAM_DHIS2 = 8


def generate_sample(
    out_dir: Path,
    seed: int = 2024,
    *,
    today: dt.date | None = None,
    reference_dir: Path | None = None,
) -> SampleManifest:
    """Write the synthetic RSSB, accreditation, registry and DHIS2 files under ``out_dir``.

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
    ids = [d.district_id for d in districts]
    late_due = FileDeadline().due_at(anomalies.LATE_REPORT_DATE)
    injected = anomalies.inject(
        cbhi,
        anomalies.pick_districts(
            np.random.default_rng([seed, _STREAM_ANOMALIES]), cbhi, ids, design.cbhi_focus
        ),
        has_coverage_column={day: COVERAGE in layouts[day].optional for day in layouts},
        due_at=late_due,
    )
    cbhi = replace(cbhi, rows=injected.rows)
    weekly_days = [day for day in cbhi.report_dates if day <= today]
    rssb_dir = out_dir / RSSB_FOLDER
    rssb_dir.mkdir(parents=True, exist_ok=True)
    weekly_files = {
        day: write_weekly(rssb_dir, day, cbhi.rows[day], districts, layouts[day])
        for day in weekly_days
    }
    written += weekly_files.values()
    delivered = friday_evening_times(
        np.random.default_rng([seed, _STREAM_DELIVERY]), list(cbhi.report_dates)
    )
    delivered[anomalies.LATE_REPORT_DATE] = late_due + anomalies.LATE_BY
    times = {path: delivered[day] for day, path in weekly_files.items()}
    accreditation_files = write_accreditation(
        out_dir / ACCREDITATION_FOLDER,
        scores,
        districts=districts,
        hospitals=hospitals,
        seeds_dir=seeds_dir,
        rng=np.random.default_rng([seed, _STREAM_NAMES]),
        today=today,
    )
    written += accreditation_files
    registry_files = write_registry(out_dir / REGISTRY_FOLDER, design, districts, today)
    written += registry_files
    last_dated = max(
        cbhi.report_dates[-1],
        results_published(acc.SURVEY_YEARS[-1]),
        *(e.event_date for e in design.events),
    )
    for path in accreditation_files:
        year = int(re.findall(r"\d{4}", path.name)[-1])
        times[path] = kigali(results_published(year), OFFICE_HOURS)
    for path in registry_files:
        times[path] = kigali(min(today, last_dated), OFFICE_HOURS)
    dhis2 = build_dhis2_values(
        np.random.default_rng([seed, _STREAM_DHIS2]), districts, hospitals, design, seeds_dir
    )
    dhis2_times = write_dhis2(out_dir / DHIS2_FOLDER, dhis2, districts, today)
    written += dhis2_times
    times.update(dhis2_times)
    set_delivery_times(times)
    relative = sorted(p.relative_to(out_dir).as_posix() for p in written)
    # A different seed names its weekly files differently; files a previous run recorded and
    # this one did not rewrite would otherwise be loaded as extra reports.
    for stale_file in previous - set(relative):
        (out_dir / stale_file).unlink(missing_ok=True)

    formats = Counter(layouts[day].file_format for day in weekly_days)
    manifest = SampleManifest(
        seed=seed,
        out_dir=out_dir,
        files=tuple(relative),
        stale_target_districts=stale_districts(cbhi, districts),
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
        calibration=calibration_figures(
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
        cut_off=today if today < max(last_dated, dhis2.last_delivery) else None,
        anomalies=tuple(
            replace(a, file=weekly_files[a.report_date].relative_to(out_dir).as_posix())
            for a in injected.anomalies
            if a.report_date in weekly_files
        ),
        service_topics=service_topics(dhis2, today),
        dhis2_anc_denominators=stale_denominators(dhis2),
    )
    hashes = {f: hashlib.sha256((out_dir / f).read_bytes()).hexdigest() for f in relative}
    text = json.dumps(manifest.to_json_dict(hashes), indent=2, ensure_ascii=False) + "\n"
    (out_dir / MANIFEST_NAME).write_text(text, encoding="utf-8")
    return manifest


def _previous_files(out_dir: Path) -> set[str]:
    """Sample files a previous run recorded in its manifest (only under the sample folders)."""
    path = out_dir / MANIFEST_NAME
    if not path.exists():
        return set()
    try:
        recorded = json.loads(path.read_text(encoding="utf-8")).get("files", [])
        names = {str(entry["path"]) for entry in recorded}
    except (ValueError, TypeError, KeyError, AttributeError):
        return set()
    # Only files under the sample's own folders, never anything a manifest could point outside.
    folders = (RSSB_FOLDER, ACCREDITATION_FOLDER, REGISTRY_FOLDER, DHIS2_FOLDER)
    return {
        n
        for n in names
        if len(Path(n).parts) == 2 and Path(n).parts[0] in folders and ".." not in Path(n).parts
    }
