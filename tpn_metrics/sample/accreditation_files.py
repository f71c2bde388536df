"""The MOH accreditation result files of the sample, one per survey year, each in the format
that year's sender used (2021 and 2023 XLSX with different headers, 2022 CSV in fractions of 1).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from tpn_metrics.reference import District, Hospital, hospital_resolver
from tpn_metrics.sample import accreditation as acc
from tpn_metrics.sample.writers import Cell, write_csv, write_xlsx

# Results are published after the April-May surveys; a file is "available" from this day.
RESULTS_PUBLISHED = (6, 30)


def results_published(year: int) -> dt.date:
    """The day the results of ``year``'s survey are published (its file is available)."""
    return dt.date(year, *RESULTS_PUBLISHED)


def name_as_written(rng: np.random.Generator, hospital: Hospital, seeds_dir: Path) -> str:
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


def write_accreditation(
    folder: Path,
    scores: Sequence[acc.Scores],
    *,
    districts: Sequence[District],
    hospitals: Sequence[Hospital],
    seeds_dir: Path,
    rng: np.random.Generator,
    today: dt.date,
) -> list[Path]:
    """Write the results published by ``today`` into ``folder``; returns the paths written.

    Hospital names are drawn with ``rng`` as the sender writes them (mostly canonical, some
    aliases the warehouse resolves). Scores are in % (0-100), 2022's as fractions of 1.
    """
    folder.mkdir(parents=True, exist_ok=True)
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
                    name_as_written(rng, hospital, seeds_dir),
                    district_names[hospital.district_id],
                    hospital.hospital_category,
                    *levels,
                ]
            )
        if results_published(year) > today:
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
