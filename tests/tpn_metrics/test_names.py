"""Name resolution: what people write → ids, or an error naming the closest candidates."""

import pytest

from tpn_metrics.names import NameResolver, UnknownNameError, normalise_name
from tpn_metrics.reference import district_resolver, hospital_resolver
from tpn_metrics.settings import Settings

SEEDS = Settings().seeds_dir


@pytest.mark.parametrize(
    ("written", "district_id"),
    [
        ("Gasabo", "gasabo"),
        ("GASABO", "gasabo"),
        ("Gasabo District", "gasabo"),
        ("Gasabo DH", "gasabo"),
        ("  gasabo-district ", "gasabo"),
        ("Akarere ka Gasabo", "gasabo"),
        ("Nyarugnge", "nyarugenge"),  # one letter missing
        ("Rwamagan", "rwamagana"),
        ("Kicukro", "kicukiro"),
        ("Nyamagabé", "nyamagabe"),  # accent
    ],
)
def test_district_variants_resolve(written: str, district_id: str):
    assert district_resolver(SEEDS).resolve(written) == district_id


@pytest.mark.parametrize(
    ("written", "hospital_id"),
    [
        ("Kibagabaga Hospital", "kibagabaga"),
        ("Kabutare DH", "kabutare"),
        ("Kabutare District Hospital", "kabutare"),
        ("CHUK", "chuk"),
        ("Centre Hospitalier Universitaire de Kigali", "chuk"),
        ("King Faisal", "king_faisal"),
    ],
)
def test_hospital_variants_resolve(written: str, hospital_id: str):
    assert hospital_resolver(SEEDS).resolve(written) == hospital_id


def test_unknown_name_offers_the_closest_known_names():
    with pytest.raises(UnknownNameError) as caught:
        hospital_resolver(SEEDS).resolve("Kibagabga Clinic")
    assert caught.value.candidates[0] == "Kibagabaga Hospital"
    assert "closest known: 'Kibagabaga Hospital'" in str(caught.value)


def test_a_name_equally_close_to_two_entities_is_ambiguous_not_guessed():
    resolver = NameResolver.build("district", [("abcde", "Abcde", ()), ("abcdf", "Abcdf", ())])
    with pytest.raises(UnknownNameError) as caught:
        resolver.resolve("abcdx")
    assert caught.value.ambiguous
    assert "ambiguous" in str(caught.value)
    assert set(caught.value.candidates) == {"Abcde", "Abcdf"}


def test_edit_distance_is_bounded():
    # Three edits away from "Huye" is not Huye: a typo is fixed, a different word is refused.
    with pytest.raises(UnknownNameError):
        district_resolver(SEEDS).resolve("Hxxe Town")


def test_an_alias_shared_by_two_entities_is_dropped():
    resolver = NameResolver.build(
        "hospital", [("a", "Alpha", ("Saint Mary",)), ("b", "Beta", ("Saint Mary",))]
    )
    with pytest.raises(UnknownNameError):
        resolver.resolve("Saint Mary")
    assert resolver.resolve("Alpha") == "a"


def test_normalisation_keeps_what_distinguishes_names():
    assert normalise_name("Nyarugenge District Hospital") == "nyarugenge"
    assert normalise_name("King Faisal Hospital") == "kingfaisal"
    assert normalise_name("Rwanda Military Hospital") == "rwandamilitary"
