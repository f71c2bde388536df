"""Who is in the network, what each member chose, and so who is in focus for which topic.

The focus rule is the warehouse's: a district is in focus for a topic when its DHMT lists the
topic among its priorities; a hospital is in focus when its own institution (if it is a member)
or its district's DHMT lists it. The generator picks priorities so the rule yields the paper's
group sizes exactly: 19 of the 38 evaluated hospitals for accreditation, 8 of 30 districts for
CBHI enrolment.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from tpn_metrics.reference import District, Hospital
from tpn_metrics.sample.network import (
    ACCREDITATION,
    CBHI_ENROLLMENT,
    HOSPITAL_TOPICS,
    LAUNCH_DAY,
    TOPICS,
    Event,
    Institution,
    Pair,
    Priority,
    Strength,
    dhmt_id,
    hospital_institution_id,
    pick,
    working_day,
)
from tpn_metrics.sample.twinning_activity import network_events, strengths_for, twin_pairs

EVALUATED_CATEGORIES = ("district", "provincial")
OTHER_SURVEYED_CATEGORIES = ("referral", "teaching")
EVALUATED_HOSPITALS = 38
ACCREDITATION_FOCUS_HOSPITALS = 19
CBHI_FOCUS_DISTRICTS = 8
MEMBER_HOSPITALS = 10
# Member hospitals from outside the evaluation set: the national teaching and referral
# hospitals that act as "shining" partners.
MEMBER_REFERRAL_HOSPITALS = 2
# Member hospitals whose own choice (not their DHMT's) puts them in accreditation focus, so
# the hospital half of the rule matters in the demo.
SELF_FOCUSED_HOSPITALS = 3


@dataclass(frozen=True)
class Design:
    """The whole synthetic network: evaluated hospitals, focus groups and the registry's records."""

    evaluated_hospitals: tuple[str, ...]
    other_surveyed_hospitals: tuple[str, ...]
    accreditation_focus: frozenset[str]
    cbhi_focus: frozenset[str]
    institutions: tuple[Institution, ...]
    priorities: tuple[Priority, ...]
    strengths: tuple[Strength, ...]
    pairs: tuple[Pair, ...]
    events: tuple[Event, ...]


def hospitals_in_focus(
    topic: str,
    institutions: Iterable[Institution],
    priorities: Iterable[Priority],
    hospitals: Iterable[Hospital],
) -> set[str]:
    """Hospital ids in focus for ``topic`` under the warehouse's rule."""
    choosers = {p.institution_id for p in priorities if p.topic == topic}
    members = list(institutions)
    districts = {
        i.district_id for i in members if i.kind == "district" and i.institution_id in choosers
    }
    own = {i.hospital_id for i in members if i.kind == "hospital" and i.institution_id in choosers}
    return {h.hospital_id for h in hospitals if h.district_id in districts or h.hospital_id in own}


def districts_in_focus(
    topic: str, institutions: Iterable[Institution], priorities: Iterable[Priority]
) -> set[str]:
    """District ids in focus for ``topic``: their DHMT lists it among its priorities."""
    choosers = {p.institution_id for p in priorities if p.topic == topic}
    return {
        i.district_id for i in institutions if i.kind == "district" and i.institution_id in choosers
    }


def _district_subset_with_count(
    rng: np.random.Generator, counts: dict[str, int], wanted: int
) -> list[str]:
    """Districts whose evaluated hospitals add up to exactly ``wanted`` (random greedy)."""
    names = sorted(counts)
    for _ in range(1000):
        chosen: list[str] = []
        total = 0
        for index in rng.permutation(len(names)):
            district = names[int(index)]
            if total + counts[district] <= wanted:
                chosen.append(district)
                total += counts[district]
            if total == wanted:
                return sorted(chosen)
    raise ValueError(f"no set of districts holds exactly {wanted} evaluated hospitals")


def _priorities_for(
    rng: np.random.Generator, required: list[str], pool: Sequence[str]
) -> list[str]:
    """Two or three topics in rank order, holding ``required`` and otherwise drawn from ``pool``."""
    size = max(len(required), int(rng.integers(2, 4)))
    extra = [t for t in pool if t not in required]
    topics = required + pick(rng, extra, size - len(required))
    return [topics[int(i)] for i in rng.permutation(len(topics))]


def build_design(
    districts: Sequence[District], hospitals: Sequence[Hospital], rng: np.random.Generator
) -> Design:
    """Draw the network with ``rng`` so the focus rule yields the paper's group sizes.

    Raises ValueError when ``hospitals`` has fewer than 38 district or provincial hospitals.
    """
    by_id = {h.hospital_id: h for h in hospitals}
    candidates = sorted(
        h.hospital_id for h in hospitals if h.hospital_category in EVALUATED_CATEGORIES
    )
    if len(candidates) < EVALUATED_HOSPITALS:
        raise ValueError(
            f"hospitals.csv has {len(candidates)} district or provincial hospitals; "
            f"the sample needs {EVALUATED_HOSPITALS}"
        )
    evaluated = pick(rng, candidates, EVALUATED_HOSPITALS)
    others = sorted(
        h.hospital_id for h in hospitals if h.hospital_category in OTHER_SURVEYED_CATEGORIES
    )

    member_referral = pick(rng, others, min(MEMBER_REFERRAL_HOSPITALS, len(others)))
    member_evaluated = pick(rng, evaluated, MEMBER_HOSPITALS - len(member_referral))
    self_focused = pick(rng, member_evaluated, SELF_FOCUSED_HOSPITALS)

    # DHMTs choosing accreditation come from districts without a self-focused hospital, so
    # those hospitals are in focus only through their own choice.
    excluded = {by_id[h].district_id for h in self_focused}
    counts = Counter(
        by_id[h].district_id for h in evaluated if by_id[h].district_id not in excluded
    )
    accreditation_districts = set(
        _district_subset_with_count(
            rng, dict(counts), ACCREDITATION_FOCUS_HOSPITALS - len(self_focused)
        )
    )
    district_ids = [d.district_id for d in districts]
    cbhi_districts = set(pick(rng, district_ids, CBHI_FOCUS_DISTRICTS))

    institutions = _institutions(
        rng, districts, [by_id[h] for h in member_evaluated + member_referral]
    )
    priorities: list[Priority] = []
    for institution in institutions:
        if institution.kind == "district":
            required = [ACCREDITATION] if institution.district_id in accreditation_districts else []
            if institution.district_id in cbhi_districts:
                required.append(CBHI_ENROLLMENT)
            pool = [t for t in TOPICS if t not in (ACCREDITATION, CBHI_ENROLLMENT)]
        else:
            required = [ACCREDITATION] if institution.hospital_id in self_focused else []
            pool = [t for t in HOSPITAL_TOPICS if t != ACCREDITATION]
        for rank, topic in enumerate(_priorities_for(rng, required, pool), start=1):
            priorities.append(
                Priority(institution.institution_id, topic, rank, institution.joined_on)
            )

    strengths = strengths_for(rng, institutions, priorities, set(member_referral))
    pairs = twin_pairs(rng, institutions, priorities, strengths)
    events = network_events(rng, institutions, priorities, strengths, pairs)

    accreditation_focus = hospitals_in_focus(ACCREDITATION, institutions, priorities, hospitals)
    cbhi_focus = districts_in_focus(CBHI_ENROLLMENT, institutions, priorities)
    evaluated_focus = accreditation_focus & set(evaluated)
    # The rule, applied to what was built, must give the paper's group sizes; anything else is
    # a bug here, not a property of the reference data.
    if (
        len(evaluated_focus) != ACCREDITATION_FOCUS_HOSPITALS
        or len(cbhi_focus) != CBHI_FOCUS_DISTRICTS
    ):
        raise AssertionError("focus groups do not have the sizes the paper reports")
    return Design(
        evaluated_hospitals=tuple(evaluated),
        other_surveyed_hospitals=tuple(others),
        accreditation_focus=frozenset(evaluated_focus),
        cbhi_focus=frozenset(cbhi_focus),
        institutions=tuple(institutions),
        priorities=tuple(priorities),
        strengths=tuple(strengths),
        pairs=tuple(pairs),
        events=tuple(events),
    )


def _institutions(
    rng: np.random.Generator, districts: Sequence[District], member_hospitals: Sequence[Hospital]
) -> list[Institution]:
    out = [
        Institution(
            institution_id=dhmt_id(d.district_id),
            name=f"{d.district_name} DHMT",
            kind="district",
            district_id=d.district_id,
            hospital_id=None,
            hospital_category="",
            joined_on=LAUNCH_DAY,
        )
        for d in districts
    ]
    # Two member hospitals joined after the launch workshop, later in 2021.
    late = set(pick(rng, sorted(h.hospital_id for h in member_hospitals), 2))
    for hospital in sorted(member_hospitals, key=lambda h: h.hospital_id):
        joined = LAUNCH_DAY
        if hospital.hospital_id in late:
            joined = working_day(LAUNCH_DAY + dt.timedelta(days=int(rng.integers(60, 200))))
        out.append(
            Institution(
                institution_id=hospital_institution_id(hospital.hospital_id),
                name=hospital.hospital_name,
                kind="hospital",
                district_id=hospital.district_id,
                hospital_id=hospital.hospital_id,
                hospital_category=hospital.hospital_category,
                joined_on=joined,
            )
        )
    return out
