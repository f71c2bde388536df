"""Reference data shared with dbt: the seeds are the single source of districts and hospitals."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from tpn_metrics.names import NameResolver, UnknownNameError


@dataclass(frozen=True)
class District:
    """A district of Rwanda (seed ``districts.csv``) with its census populations (persons,
    ``district_census_populations.csv``: NISR censuses of 2012 and 2022)."""

    district_id: str
    district_name: str
    province: str
    population_2012: int
    population_2022: int


@dataclass(frozen=True)
class Hospital:
    """A hospital (seed ``hospitals.csv``): its district, category and other names it goes by."""

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
    """The 30 districts, in seed order; KeyError if a district has no census row."""
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
    """Every hospital of the seed, in seed order (aliases split on ';')."""
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
def district_aliases(seeds_dir: Path) -> dict[str, tuple[str, ...]]:
    """Historic names per district id (``district_aliases.csv``: Butare → huye, ...)."""
    path = seeds_dir / "district_aliases.csv"
    aliases: dict[str, list[str]] = {}
    for row in _rows(path) if path.exists() else []:
        aliases.setdefault(row["district_id"], []).append(row["alias"])
    return {district_id: tuple(names) for district_id, names in aliases.items()}


@cache
def district_resolver(seeds_dir: Path) -> NameResolver:
    """Resolves district names and their historic aliases to district ids."""
    aliases = district_aliases(seeds_dir)
    return NameResolver.build(
        "district",
        (
            (d.district_id, d.district_name, aliases.get(d.district_id, ()))
            for d in load_districts(seeds_dir)
        ),
    )


@cache
def _hospitals_of_district(seeds_dir: Path, district_id: str) -> NameResolver:
    return NameResolver.build(
        "hospital",
        (
            (h.hospital_id, h.hospital_name, h.aliases)
            for h in load_hospitals(seeds_dir)
            if h.district_id == district_id
        ),
    )


def resolve_hospital_in_district(seeds_dir: Path, name: str, district_id: str) -> str:
    """The hospital ``name`` means among the hospitals of ``district_id``.

    A name is resolved only within the district its row names: a spelling close to a hospital
    of another district ('Butare Hospital' in Huye vs Butaro Hospital in Burera) is an error
    that names the district's own hospitals, never a silent match elsewhere.

    Raises UnknownNameError with the district's hospitals as candidates.
    """
    local = _hospitals_of_district(seeds_dir, district_id)
    everywhere = hospital_resolver(seeds_dir)
    exact_here, exact_anywhere = local.exact(name), everywhere.exact(name)
    if exact_here is not None:
        return exact_here
    try:
        if exact_anywhere is not None:  # exactly a hospital of another district: no fuzzing
            raise UnknownNameError("hospital", name, [], ambiguous=False)
        return local.resolve(name)
    except UnknownNameError as error:
        district = next(
            (d.district_name for d in load_districts(seeds_dir) if d.district_id == district_id),
            district_id,
        )
        own = ", ".join(f"'{n}'" for n in sorted(local.display.values())) or "none"
        elsewhere = ""
        try:
            other = exact_anywhere or everywhere.resolve(name)
        except UnknownNameError:
            other = None
        if other is None:  # no close match anywhere: still say where the nearest name is
            nearest = everywhere.closest(name, limit=1)
            hospital_of = {h.hospital_name: h for h in load_hospitals(seeds_dir)}
            far = hospital_of.get(nearest[0]) if nearest else None
            if far is not None and far.hospital_id not in local.display:
                far_district = next(
                    d.district_name
                    for d in load_districts(seeds_dir)
                    if d.district_id == far.district_id
                )
                elsewhere = f"; nearest name elsewhere: '{far.hospital_name}' ({far_district})"
        if other is not None and other not in local.display:
            hospital = next(h for h in load_hospitals(seeds_dir) if h.hospital_id == other)
            other_district = next(
                d.district_name
                for d in load_districts(seeds_dir)
                if d.district_id == hospital.district_id
            )
            elsewhere = (
                f"; the name matches {hospital.hospital_name} in {other_district}, "
                "another district: check the hospital and the district"
            )
        closest = ", ".join(f"'{c}'" for c in local.closest(name)) or "none"
        message = (
            f"unknown hospital '{name}' (closest known: {closest}; hospitals "
            f"of {district}: {own}){elsewhere}"
            if not error.ambiguous
            else f"hospital '{name}' is ambiguous in {district}: it could be "
            + ", ".join(f"'{c}'" for c in error.candidates)
        )
        raise UnknownNameError(
            "hospital",
            name,
            sorted(local.display.values()),
            ambiguous=error.ambiguous,
            message=message,
        ) from error


@cache
def hospital_resolver(seeds_dir: Path) -> NameResolver:
    """Resolves hospital names and aliases, anywhere in Rwanda, to hospital ids."""
    return NameResolver.build(
        "hospital",
        ((h.hospital_id, h.hospital_name, h.aliases) for h in load_hospitals(seeds_dir)),
    )
