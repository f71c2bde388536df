"""Reference data shared with dbt: the seeds are the single source of districts and hospitals."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from tpn_metrics.names import NameResolver


@dataclass(frozen=True)
class District:
    district_id: str
    district_name: str
    province: str
    population_2012: int
    population_2022: int


@dataclass(frozen=True)
class Hospital:
    hospital_id: str
    hospital_name: str
    district_id: str
    hospital_category: str
    aliases: tuple[str, ...]


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@cache
def load_districts(seeds_dir: Path) -> tuple[District, ...]:
    populations = {
        row["district_id"]: row for row in _rows(seeds_dir / "district_census_populations.csv")
    }
    return tuple(
        District(
            district_id=row["district_id"],
            district_name=row["district_name"],
            province=row["province"],
            population_2012=int(populations[row["district_id"]]["population_2012"]),
            population_2022=int(populations[row["district_id"]]["population_2022"]),
        )
        for row in _rows(seeds_dir / "districts.csv")
    )


@cache
def load_hospitals(seeds_dir: Path) -> tuple[Hospital, ...]:
    return tuple(
        Hospital(
            hospital_id=row["hospital_id"],
            hospital_name=row["hospital_name"],
            district_id=row["district_id"],
            hospital_category=row["hospital_category"],
            aliases=tuple(a.strip() for a in (row.get("aliases") or "").split(";") if a.strip()),
        )
        for row in _rows(seeds_dir / "hospitals.csv")
    )


@cache
def district_resolver(seeds_dir: Path) -> NameResolver:
    return NameResolver.build(
        "district", ((d.district_id, d.district_name, ()) for d in load_districts(seeds_dir))
    )


@cache
def hospital_resolver(seeds_dir: Path) -> NameResolver:
    return NameResolver.build(
        "hospital",
        ((h.hospital_id, h.hospital_name, h.aliases) for h in load_hospitals(seeds_dir)),
    )
