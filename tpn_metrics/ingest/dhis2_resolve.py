"""What a DHIS2 uid means here: data items and org units, through the committed seeds.

Data items (``dhis2_data_items.csv``) are looked up by uid only. Org units (docs/contracts.md
"DHIS2 exports"): (1) by uid in ``dhis2_org_units.csv``; then, for a uid not in the seed,
the export's hierarchy comes first when it has one: ``metaData.ouHierarchy``
(``hierarchyMeta=true``) or the name written as a path (``showHierarchy=true``:
"Rwanda/Kigali City/Gasabo District/Kinyinya HC"). Its district ancestor is, root first, a
seed district by uid or an ancestor named *exactly* like a district (alias- and
suffix-normalised, no edit distance) at the depth the export's seed districts sit.

(2) A name with a hospital word ("Hospital", "DH", "CHUK", "Centre Hospitalier...") must be
one of our hospitals (:class:`tpn_metrics.names.NameResolver`: exact, else the one hospital
within its small edit distance), else the file is refused: "matches none" or "is ambiguous:
it could be ..."; a hospital found by name is cross-checked against the hierarchy's
district, and refused, naming both, when they differ. The near-match rule is kept for
hospital names only: a hospital word narrows the candidates to our 54 hospitals, two equally
near are refused as ambiguous, and with a hierarchy the district cross-check catches a match
in the wrong place; district names get no near match ("Musange" is not Musanze, "Butaro" not
Butare) because DHIS2 is full of sectors and facilities named like districts.
(3) A unit with a district ancestor is a health centre (or other facility) of that district,
whatever its own name ("Ngoma" under Huye is a facility in Huye, not Ngoma district).
(4) Without a district ancestor, a name exactly a district's (at the districts' depth when the
hierarchy says) is that district; anything else is reported, never guessed.

A name carrying a health-centre word ("Health Centre", "HC", "Centre de Santé", "Poste de
Santé") is never matched to a district or hospital by name: "Kicukiro HC" is a facility *in*
Kicukiro, not the district, so only step 1 or 3 can place it.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import NoReturn

from tpn_metrics.names import UnknownNameError, fold
from tpn_metrics.reference import district_resolver, hospital_resolver, load_hospitals

ORG_UNIT_LEVELS = ("district", "hospital", "health_centre")
_HOSPITAL_WORDS = re.compile(
    r"\b(hospital|hopital|hospitalier|hospitaliere|dh|ph|chu|chuk|chub|chk|kuth|l2th|referral"
    r"|teaching|kfh|rmh)\b"
)
_HEALTH_CENTRE_WORDS = re.compile(
    r"\b(health cent(re|er)|hc|cs|centre de sante|center de sante|poste de sante|health post"
    r"|dispensary|clinic|clinique)\b"
)


@dataclass(frozen=True)
class DataItem:
    """A row of ``dhis2_data_items.csv``: uid, DHIS2 name, type, our code and factor."""

    dhis2_uid: str
    dhis2_name: str
    item_type: str
    item_code: str
    factor: float


@dataclass(frozen=True)
class OrgUnit:
    """Where an org unit sits for us: ``level`` (district|hospital|health_centre), its
    district and, for a hospital, its hospital id; ``how`` says which step placed it
    ("seed", "name", "near_name" for a hospital name within NameResolver's edit distance,
    "hierarchy")."""

    level: str
    district_id: str
    hospital_id: str | None
    how: str


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@cache
def load_data_items(seeds_dir: Path) -> dict[str, DataItem]:
    """``dhis2_data_items.csv`` by DHIS2 uid (reporting rates as ``<dataSet>.<METRIC>``)."""
    return {
        row["dhis2_uid"]: DataItem(
            row["dhis2_uid"],
            row["dhis2_name"],
            row["item_type"],
            row["item_code"],
            float(row["factor"] or 1),
        )
        for row in _rows(seeds_dir / "dhis2_data_items.csv")
    }


@cache
def load_org_units(seeds_dir: Path) -> dict[str, OrgUnit]:
    """``dhis2_org_units.csv`` by DHIS2 uid."""
    return {
        row["org_unit_uid"]: OrgUnit(
            row["org_unit_level"], row["district_id"], row["hospital_id"] or None, "seed"
        )
        for row in _rows(seeds_dir / "dhis2_org_units.csv")
    }


def find_data_item(seeds_dir: Path, uid: str) -> tuple[DataItem, str | None] | None:
    """The data item a ``dx``/``dataElement`` uid names, and the category option combo a
    data element operand (``deUid.cocUid``, analytics.md § "The dx dimension") carries;
    None when unknown."""
    items = load_data_items(seeds_dir)
    if uid in items:
        return items[uid], None
    element, _, combo = uid.partition(".")
    found = items.get(element)
    if combo and found is not None and found.item_type == "data_element":
        return found, combo.split(".")[0] or None
    return None


def _hospital_by_name(seeds_dir: Path, uid: str, name: str) -> OrgUnit:
    """A name with a hospital word as one of our hospitals (NameResolver: exact, else one
    near match); raises UnknownNameError saying "ambiguous" when it could be two."""
    try:
        hospital_id = hospital_resolver(seeds_dir).resolve(name)
    except UnknownNameError as error:
        shown = ", ".join(f"'{c}'" for c in error.candidates) or "none"
        why = (
            f"is ambiguous: it could be {shown}"
            if error.ambiguous
            else f"matches none of our hospitals (closest: {shown})"
        )
        raise UnknownNameError(
            "hospital",
            name,
            error.candidates,
            ambiguous=error.ambiguous,
            message=(
                f"org unit '{name}' (uid {uid}) is not in dhis2_org_units.csv and its hospital "
                f"name {why}: add its uid to dhis2_org_units.csv"
            ),
        ) from error
    hospital = next(h for h in load_hospitals(seeds_dir) if h.hospital_id == hospital_id)
    exact = hospital_resolver(seeds_dir).exact(name) == hospital_id
    return OrgUnit("hospital", hospital.district_id, hospital_id, "name" if exact else "near_name")


def _district_exact(seeds_dir: Path, name: str) -> str | None:
    """A district whose name or alias this name is exactly (normalised; no edit distance)."""
    folded = fold(name)
    if not folded or _HEALTH_CENTRE_WORDS.search(folded) or _HOSPITAL_WORDS.search(folded):
        return None
    return district_resolver(seeds_dir).exact(name)


def _ancestor_district(
    seeds_dir: Path, ancestors: list[tuple[str, str]], depths: set[int]
) -> str | None:
    """The district among ``ancestors`` ((uid, name), root first): a seed district by uid, or
    an exact district name at a depth where the export's known districts sit (any depth when
    none is known). Root first, so a sector named like a district ("Ngoma" in Huye) below
    its real district is never taken for it."""
    seeds = load_org_units(seeds_dir)
    for depth, (uid, name) in enumerate(ancestors):
        known = seeds.get(uid)
        if known is not None:
            if known.level == "district":
                return known.district_id
            continue
        if depths and depth not in depths:
            continue
        district_id = _district_exact(seeds_dir, name)
        if district_id is not None:
            return district_id
    return None


def _district_depths(seeds_dir: Path, hierarchy: dict[str, tuple[str, ...]]) -> set[int]:
    """Depths (ancestors above) of the seed's districts in the export's ``ouHierarchy``."""
    seeds = load_org_units(seeds_dir)
    depths = {len(path) for uid, path in hierarchy.items() if _is_district(seeds.get(uid))}
    for path in hierarchy.values():
        depths |= {i for i, uid in enumerate(path) if _is_district(seeds.get(uid))}
    return depths


def _is_district(unit: OrgUnit | None) -> bool:
    return unit is not None and unit.level == "district"


def _refuse(uid: str, name: str, path: list[tuple[str, str]]) -> NoReturn:
    shown = f"org unit '{name}' (uid {uid})" if name != uid else f"org unit uid {uid}"
    if path:
        shown_path = " / ".join(n for _, n in path)
        why = f"none of its ancestors in the export's hierarchy ({shown_path}) is a district"
    else:
        why = "the export has no hierarchy for it"
    raise UnknownNameError(
        "district",
        name,
        [],
        ambiguous=False,
        message=(
            f"{shown} is not in dhis2_org_units.csv, its name matches no district or "
            f"hospital, and {why}: export with hierarchyMeta=true (analytics JSON, so "
            "metaData.ouHierarchy names its district), or add it to dhis2_org_units.csv"
        ),
    )


def resolve_org_unit(
    seeds_dir: Path,
    uid: str,
    names: dict[str, str],
    hierarchy: dict[str, tuple[str, ...]],
) -> OrgUnit:
    """Place an org unit by the four steps (module docstring).

    ``names`` are the export's names by uid, ``hierarchy`` its ancestors by uid (root first).
    Raises UnknownNameError with a message the sender can act on when no step places it, when
    a hospital name matches no hospital or two, or when a hospital found by name lies in
    another district than the export's hierarchy says.
    """
    known = load_org_units(seeds_dir).get(uid)
    if known is not None:
        return known
    name = names.get(uid) or uid  # an export with outputIdScheme=NAME writes names as ids
    # showHierarchy=true names a unit by its path: "Rwanda/Kigali City/Gasabo District/Kinyinya"
    *written, name = [part.strip() for part in name.split("/") if part.strip()] or [name]
    path = [(a, names.get(a, a)) for a in hierarchy.get(uid, ())] or [
        (f"path:{n}", n) for n in written
    ]
    depths = _district_depths(seeds_dir, hierarchy)
    ancestor = _ancestor_district(seeds_dir, path, depths)
    folded = fold(name)
    if _HOSPITAL_WORDS.search(folded) and not _HEALTH_CENTRE_WORDS.search(folded):
        hospital = _hospital_by_name(seeds_dir, uid, name)
        if ancestor is not None and ancestor != hospital.district_id:
            raise UnknownNameError(
                "hospital",
                name,
                [],
                ambiguous=False,
                message=(
                    f"org unit '{name}' (uid {uid}) is hospital {hospital.hospital_id} of "
                    f"district {hospital.district_id} by its name, but the export's hierarchy "
                    f"puts it in district {ancestor}: add its uid to dhis2_org_units.csv"
                ),
            )
        return hospital
    if ancestor is not None:  # below a district: never the district itself, whatever its name
        return OrgUnit("health_centre", ancestor, None, "hierarchy")
    district_id = _district_exact(seeds_dir, name)
    if district_id is not None and (not depths or not path or len(path) in depths):
        return OrgUnit("district", district_id, None, "name")
    _refuse(uid, name, path)
