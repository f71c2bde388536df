"""Peer groups and distance between institutions: Rwanda's provinces and who borders whom.

Distance is coarse on purpose (three classes, from province adjacency), because travel for a
coaching visit is decided by road and province more than by kilometres, and the warehouse
holds no coordinates.
"""

from __future__ import annotations

from enum import StrEnum

PROVINCES = ("Kigali City", "Northern", "Southern", "Eastern", "Western")

#: Provinces that share a border. Kigali City borders Northern (Rulindo, Gicumbi), Southern
#: (Kamonyi) and Eastern (Rwamagana, Bugesera); Northern borders Western (Musanze–Nyabihu,
#: Gakenke–Ngororero), Eastern (Gicumbi–Gatsibo/Nyagatare) and Southern (Gakenke–Muhanga and
#: Kamonyi, across the Nyabarongo); Southern borders Western (Muhanga, Nyamagabe, Nyaruguru
#: against Ngororero, Karongi, Nyamasheke) and Eastern (Bugesera against Kamonyi, Ruhango,
#: Nyanza and Gisagara, across the Nyabarongo and Akanyaru). Western touches neither Kigali
#: City nor Eastern: those two pairs are the only "far" ones.
PROVINCE_ADJACENCY: frozenset[frozenset[str]] = frozenset(
    frozenset(pair)
    for pair in (
        ("Kigali City", "Northern"),
        ("Kigali City", "Southern"),
        ("Kigali City", "Eastern"),
        ("Northern", "Western"),
        ("Northern", "Eastern"),
        ("Northern", "Southern"),
        ("Southern", "Western"),
        ("Southern", "Eastern"),
    )
)


class DistanceClass(StrEnum):
    """How far apart two institutions are, in three classes from their provinces (see
    :data:`PROVINCE_ADJACENCY`): same province, neighbouring province, or far."""

    SAME_PROVINCE = "same_province"
    NEIGHBOURING_PROVINCE = "neighbouring_province"
    FAR = "far"


def distance_class(
    province_a: str,
    province_b: str,
    adjacency: frozenset[frozenset[str]] = PROVINCE_ADJACENCY,
) -> DistanceClass:
    """same_province (the same district included) > neighbouring_province > far."""
    if province_a == province_b:
        return DistanceClass.SAME_PROVINCE
    if frozenset((province_a, province_b)) in adjacency:
        return DistanceClass.NEIGHBOURING_PROVINCE
    return DistanceClass.FAR


def peer_group(
    institution_kind: str,
    *,
    province: str | None,
    is_urban: bool | None,
    hospital_category: str | None,
) -> str:
    """Like institutions: hospitals by category, DHMTs by urban/rural and province.

    ``hospital:district``, ``hospital:teaching``…; ``district:urban:Kigali City``,
    ``district:rural:Northern``… (urban = the three City of Kigali districts, the warehouse's
    convention, so today urban/rural splits nothing that province does not; the label keeps
    the two criteria visible should either change).
    """
    if institution_kind == "hospital":
        return f"hospital:{hospital_category or 'unknown'}"
    setting = "urban" if is_urban else "rural"
    return f"district:{setting}:{province or 'unknown'}"


def kind_group(institution_kind: str) -> str:
    """The fallback group of a kind: all hospitals, or all districts."""
    return f"{institution_kind}:all"
