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

ACCREDITATION = "accreditation"
CBHI_ENROLLMENT = "cbhi_enrollment"
TOPICS = (
    ACCREDITATION,
    CBHI_ENROLLMENT,
    "anc_first_visit",
    "birth_asphyxia",
    "malnutrition",
    "stock_outs",
    "family_planning",
    "data_quality",
)
# Hospitals learn clinical and quality topics; enrolling households is the DHMT's job, and
# accreditation is taught by hospitals that passed it, not by district offices.
HOSPITAL_TOPICS = tuple(t for t in TOPICS if t != CBHI_ENROLLMENT)
DHMT_STRENGTH_TOPICS = tuple(t for t in TOPICS if t != ACCREDITATION)

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
LAUNCH_DAY = dt.date(2021, 3, 23)
LAST_ACTIVITY_DAY = dt.date(2023, 5, 31)


@dataclass(frozen=True)
class Institution:
    institution_id: str
    name: str
    kind: str
    district_id: str
    hospital_id: str | None
    hospital_category: str
    joined_on: dt.date


@dataclass(frozen=True)
class Priority:
    institution_id: str
    topic: str
    rank: int
    chosen_on: dt.date


@dataclass(frozen=True)
class Strength:
    institution_id: str
    topic: str


@dataclass(frozen=True)
class Pair:
    rising_id: str
    shining_id: str
    topic: str
    started_on: dt.date
    ended_on: dt.date | None


@dataclass(frozen=True)
class Event:
    event_date: dt.date
    kind: str
    topic: str
    institution_ids: tuple[str, ...]


@dataclass(frozen=True)
class Design:
    evaluated_hospitals: tuple[str, ...]
    other_surveyed_hospitals: tuple[str, ...]
    accreditation_focus: frozenset[str]
    cbhi_focus: frozenset[str]
    institutions: tuple[Institution, ...]
    priorities: tuple[Priority, ...]
    strengths: tuple[Strength, ...]
    pairs: tuple[Pair, ...]
    events: tuple[Event, ...]


def dhmt_id(district_id: str) -> str:
    return f"DHMT-{district_id.upper().replace('_', '-')}"


def hospital_institution_id(hospital_id: str) -> str:
    return f"HOSP-{hospital_id.upper().replace('_', '-')}"


def working_day(day: dt.date) -> dt.date:
    """The next Monday for a weekend day: nobody holds a coaching visit on a Sunday."""
    return day + dt.timedelta(days=(7 - day.weekday()) % 7) if day.weekday() >= 5 else day


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
    choosers = {p.institution_id for p in priorities if p.topic == topic}
    return {
        i.district_id for i in institutions if i.kind == "district" and i.institution_id in choosers
    }


def _pick(rng: np.random.Generator, items: Sequence[str], k: int) -> list[str]:
    return [items[int(i)] for i in sorted(rng.choice(len(items), size=k, replace=False))]


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
    topics = required + _pick(rng, extra, size - len(required))
    return [topics[int(i)] for i in rng.permutation(len(topics))]


def build_design(
    districts: Sequence[District], hospitals: Sequence[Hospital], rng: np.random.Generator
) -> Design:
    by_id = {h.hospital_id: h for h in hospitals}
    candidates = sorted(
        h.hospital_id for h in hospitals if h.hospital_category in EVALUATED_CATEGORIES
    )
    if len(candidates) < EVALUATED_HOSPITALS:
        raise ValueError(
            f"hospitals.csv has {len(candidates)} district or provincial hospitals; "
            f"the sample needs {EVALUATED_HOSPITALS}"
        )
    evaluated = _pick(rng, candidates, EVALUATED_HOSPITALS)
    others = sorted(
        h.hospital_id for h in hospitals if h.hospital_category in OTHER_SURVEYED_CATEGORIES
    )

    member_referral = _pick(rng, others, min(MEMBER_REFERRAL_HOSPITALS, len(others)))
    member_evaluated = _pick(rng, evaluated, MEMBER_HOSPITALS - len(member_referral))
    self_focused = _pick(rng, member_evaluated, SELF_FOCUSED_HOSPITALS)

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
    cbhi_districts = set(_pick(rng, district_ids, CBHI_FOCUS_DISTRICTS))

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

    strengths = _strengths(rng, institutions, priorities, set(member_referral))
    pairs = _pairs(rng, institutions, priorities, strengths)
    events = _events(rng, institutions, priorities, strengths, pairs)

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
    late = set(_pick(rng, sorted(h.hospital_id for h in member_hospitals), 2))
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


def _strengths(
    rng: np.random.Generator,
    institutions: Sequence[Institution],
    priorities: Sequence[Priority],
    referral_members: set[str],
) -> list[Strength]:
    """One or two teachable topics each, never a topic the institution itself wants to learn."""
    wants: dict[str, set[str]] = {}
    for p in priorities:
        wants.setdefault(p.institution_id, set()).add(p.topic)
    holds: dict[str, set[str]] = {}
    for institution in institutions:
        iid = institution.institution_id
        pool = DHMT_STRENGTH_TOPICS if institution.kind == "district" else HOSPITAL_TOPICS
        allowed = [t for t in pool if t not in wants.get(iid, set())]
        chosen = set(_pick(rng, allowed, int(rng.integers(1, 3))))
        if institution.hospital_id in referral_members and ACCREDITATION not in wants.get(
            iid, set()
        ):
            chosen.add(ACCREDITATION)
        holds[iid] = chosen
    # Every topic someone wants to learn needs at least two institutions able to teach it.
    for topic in TOPICS:
        if not any(topic in wants.get(i.institution_id, set()) for i in institutions):
            continue
        teachers = [iid for iid, topics in holds.items() if topic in topics]
        able = [
            i.institution_id
            for i in institutions
            if topic not in wants.get(i.institution_id, set())
            and topic not in holds[i.institution_id]
            and topic in (DHMT_STRENGTH_TOPICS if i.kind == "district" else HOSPITAL_TOPICS)
        ]
        for iid in _pick(rng, able, max(0, 2 - len(teachers))):
            holds[iid].add(topic)
    return [
        Strength(i.institution_id, topic)
        for i in institutions
        for topic in TOPICS
        if topic in holds[i.institution_id]
    ]


def _pairs(
    rng: np.random.Generator,
    institutions: Sequence[Institution],
    priorities: Sequence[Priority],
    strengths: Sequence[Strength],
) -> list[Pair]:
    """Each member is twinned for its first priority and for accreditation or CBHI if chosen."""
    by_id = {i.institution_id: i for i in institutions}
    teachers: dict[str, list[str]] = {}
    for s in strengths:
        teachers.setdefault(s.topic, []).append(s.institution_id)
    load: Counter[str] = Counter()
    pairs = []
    for institution in institutions:
        own = sorted(
            (p for p in priorities if p.institution_id == institution.institution_id),
            key=lambda p: p.rank,
        )
        topics = [own[0].topic] + [
            p.topic for p in own[1:] if p.topic in (ACCREDITATION, CBHI_ENROLLMENT)
        ]
        for topic in topics:
            options = [t for t in teachers[topic] if t != institution.institution_id]
            same_kind = [t for t in options if by_id[t].kind == institution.kind]
            pool = same_kind or options
            # Spread the teaching: the least-loaded teacher first, ties broken at random.
            ranked = sorted(pool, key=lambda t: (load[t], float(rng.random())))
            shining = ranked[0]
            load[shining] += 1
            joined = max(institution.joined_on, by_id[shining].joined_on)
            started = working_day(joined + dt.timedelta(days=int(rng.integers(20, 80))))
            ended = None
            if rng.random() < 0.12:
                ended = working_day(started + dt.timedelta(days=int(rng.integers(300, 600))))
            pairs.append(Pair(institution.institution_id, shining, topic, started, ended))
    return pairs


def _events(
    rng: np.random.Generator,
    institutions: Sequence[Institution],
    priorities: Sequence[Priority],
    strengths: Sequence[Strength],
    pairs: Sequence[Pair],
) -> list[Event]:
    joined = {i.institution_id: i.joined_on for i in institutions}
    at_launch = {iid for iid, day in joined.items() if day == LAUNCH_DAY}
    order = {i.institution_id: n for n, i in enumerate(institutions)}

    def ids(members: Iterable[str]) -> tuple[str, ...]:
        return tuple(sorted(set(members), key=order.__getitem__))

    events = []
    # The launch workshop met in one break-out session per topic.
    for topic in TOPICS:
        people = [p.institution_id for p in priorities if p.topic == topic] + [
            s.institution_id for s in strengths if s.topic == topic
        ]
        members = ids(m for m in people if m in at_launch)
        if members:
            events.append(Event(LAUNCH_DAY, "launch_workshop", topic, members))
    for pair in pairs:
        last = min(pair.ended_on or LAST_ACTIVITY_DAY, LAST_ACTIVITY_DAY)
        span = (last - pair.started_on).days
        visits = sorted(
            int(d)
            for d in rng.choice(np.arange(7, span), size=int(rng.integers(2, 6)), replace=False)
        )
        for offset in visits:
            day = working_day(pair.started_on + dt.timedelta(days=offset))
            events.append(
                Event(day, "coaching_visit", pair.topic, ids([pair.rising_id, pair.shining_id]))
            )
        if rng.random() < 0.4:
            day = working_day(pair.started_on + dt.timedelta(days=int(rng.integers(30, span))))
            events.append(
                Event(day, "exchange_visit", pair.topic, ids([pair.rising_id, pair.shining_id]))
            )
    for when in (
        dt.date(2021, 9, 15),
        dt.date(2022, 3, 16),
        dt.date(2022, 9, 14),
        dt.date(2023, 3, 15),
    ):
        for topic in TOPICS:
            people = [p.institution_id for p in priorities if p.topic == topic]
            if len(people) < 2:
                continue
            teachers = [s.institution_id for s in strengths if s.topic == topic]
            day = working_day(when + dt.timedelta(days=int(rng.integers(0, 10))))
            present = ids(m for m in people + teachers if joined[m] <= day)
            events.append(Event(day, "learning_event", topic, present))
    return sorted(events, key=lambda e: (e.event_date, e.kind, e.topic, e.institution_ids))
