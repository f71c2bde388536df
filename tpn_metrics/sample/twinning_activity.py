"""Twinning activity of the synthetic network: who can teach what, who is twinned with whom,
and the meetings (launch workshop, coaching and exchange visits, learning events) they attended.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Sequence

import numpy as np

from tpn_metrics.sample.network import (
    ACCREDITATION,
    CBHI_ENROLLMENT,
    DHMT_STRENGTH_TOPICS,
    HOSPITAL_TOPICS,
    LAST_ACTIVITY_DAY,
    LAUNCH_DAY,
    TOPICS,
    Event,
    Institution,
    Pair,
    Priority,
    Strength,
    pick,
    working_day,
)


def strengths_for(
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
        chosen = set(pick(rng, allowed, int(rng.integers(1, 3))))
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
        for iid in pick(rng, able, max(0, 2 - len(teachers))):
            holds[iid].add(topic)
    return [
        Strength(i.institution_id, topic)
        for i in institutions
        for topic in TOPICS
        if topic in holds[i.institution_id]
    ]


def twin_pairs(
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


def network_events(
    rng: np.random.Generator,
    institutions: Sequence[Institution],
    priorities: Sequence[Priority],
    strengths: Sequence[Strength],
    pairs: Sequence[Pair],
) -> list[Event]:
    """Launch workshop break-outs, 2-5 coaching visits per pair, some exchange visits and the
    half-yearly learning events, in date order; nobody attends before joining.
    """
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
