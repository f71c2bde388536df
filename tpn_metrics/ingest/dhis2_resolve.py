"""What a DHIS2 uid means here: data items and org units, through the committed seeds.

Data items (``dhis2_data_items.csv``) are looked up by uid only. Org units follow four steps
(docs/contracts.md "DHIS2 exports"): (1) by uid in ``dhis2_org_units.csv``; (2) by the name
the export gives (``metaData.items``), with the house's name rules
(:class:`tpn_metrics.names.NameResolver`: the hospital resolver when the name carries a
hospital word, else the district resolver; only an unambiguous match); (3) a unit whose
``metaData.ouHierarchy`` (``hierarchyMeta=true``), or whose name written as a path
(``showHierarchy=true``: "Rwanda/Kigali City/Gasabo District/Kinyinya HC"), has an ancestor
that resolves to a district is a health centre (or other facility) of that district;
(4) otherwise it is reported, never guessed.

A name carrying a health-centre word ("Health Centre", "HC", "Centre de Santé", "Poste de
Santé") is never matched to a district by name: "Kicukiro HC" is a facility *in* Kicukiro,
not the district, so only step 1 or 3 can place it.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from tpn_metrics.names import UnknownNameError, fold
from tpn_metrics.reference import district_resolver, hospital_resolver, load_hospitals

ORG_UNIT_LEVELS = ("district", "hospital", "health_centre")
_HOSPITAL_WORDS = re.compile(
    r"\b(hospital|hopital|dh|ph|chu|chuk|chub|l2th|referral|teaching|kfh|rmh)\b"
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
    ("seed", "name", "hierarchy")."""

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


def _by_name(seeds_dir: Path, name: str) -> OrgUnit | None:
    """Step 2: a name that resolves, unambiguously, to a hospital or a district."""
    folded = fold(name)
    if not folded or _HEALTH_CENTRE_WORDS.search(folded):
        return None
    try:
        if _HOSPITAL_WORDS.search(folded):
            hospital_id = hospital_resolver(seeds_dir).resolve(name)
            hospital = next(h for h in load_hospitals(seeds_dir) if h.hospital_id == hospital_id)
            return OrgUnit("hospital", hospital.district_id, hospital_id, "name")
        return OrgUnit("district", district_resolver(seeds_dir).resolve(name), None, "name")
    except UnknownNameError:
        return None


def _district_of(seeds_dir: Path, uid: str, names: dict[str, str]) -> str | None:
    known = load_org_units(seeds_dir).get(uid)
    if known is not None:
        return known.district_id if known.level == "district" else None
    placed = _by_name(seeds_dir, names.get(uid, ""))
    return placed.district_id if placed is not None and placed.level == "district" else None


def resolve_org_unit(
    seeds_dir: Path,
    uid: str,
    names: dict[str, str],
    hierarchy: dict[str, tuple[str, ...]],
) -> OrgUnit:
    """Place an org unit by the four steps (module docstring).

    ``names`` are the export's names by uid, ``hierarchy`` its ancestors by uid (root first).
    Raises UnknownNameError with a message the sender can act on when no step places it.
    """
    known = load_org_units(seeds_dir).get(uid)
    if known is not None:
        return known
    name = names.get(uid) or uid  # an export with outputIdScheme=NAME writes names as ids
    # showHierarchy=true names a unit by its path: "Rwanda/Kigali City/Gasabo District/Kinyinya"
    *path, name = [part.strip() for part in name.split("/") if part.strip()] or [name]
    placed = _by_name(seeds_dir, name)
    if placed is not None:
        return placed
    ancestors = [(a, names) for a in hierarchy.get(uid, ())]
    ancestors += [(f"path:{n}", {f"path:{n}": n}) for n in path]
    for ancestor, known_names in reversed(ancestors):  # nearest ancestor first
        district_id = _district_of(seeds_dir, ancestor, known_names)
        if district_id is not None:
            return OrgUnit("health_centre", district_id, None, "hierarchy")
    shown = f"org unit '{name}' (uid {uid})" if name != uid else f"org unit uid {uid}"
    if uid in hierarchy or path:
        shown_path = " / ".join([names.get(a, a) for a in hierarchy.get(uid, ())] or path)
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
