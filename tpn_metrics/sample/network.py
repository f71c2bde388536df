"""The synthetic network's vocabulary: topics, members, their choices, pairs and events.

Shared by :mod:`tpn_metrics.sample.design` (who is in focus) and
:mod:`tpn_metrics.sample.twinning_activity` (who teaches whom, and when they met).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

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
LAUNCH_DAY = dt.date(2021, 3, 23)
LAST_ACTIVITY_DAY = dt.date(2023, 5, 31)


@dataclass(frozen=True)
class Institution:
    """A member of the network: a district's DHMT (``kind`` "district") or a hospital."""

    institution_id: str
    name: str
    kind: str
    district_id: str
    hospital_id: str | None
    hospital_category: str
    joined_on: dt.date


@dataclass(frozen=True)
class Priority:
    """A topic a member wants to learn, ranked 1 (first) onward, chosen on joining."""

    institution_id: str
    topic: str
    rank: int
    chosen_on: dt.date


@dataclass(frozen=True)
class Strength:
    """A topic a member can teach."""

    institution_id: str
    topic: str


@dataclass(frozen=True)
class Pair:
    """A twinning: the rising member learns ``topic`` from the shining one (end None: ongoing)."""

    rising_id: str
    shining_id: str
    topic: str
    started_on: dt.date
    ended_on: dt.date | None


@dataclass(frozen=True)
class Event:
    """A dated meeting (launch workshop, coaching, exchange or learning event) and who came."""

    event_date: dt.date
    kind: str
    topic: str
    institution_ids: tuple[str, ...]


def dhmt_id(district_id: str) -> str:
    """The registry id of a district's DHMT: ``"bugesera"`` → ``"DHMT-BUGESERA"``."""
    return f"DHMT-{district_id.upper().replace('_', '-')}"


def hospital_institution_id(hospital_id: str) -> str:
    """The registry id of a member hospital: ``"h_012"`` → ``"HOSP-H-012"``."""
    return f"HOSP-{hospital_id.upper().replace('_', '-')}"


def working_day(day: dt.date) -> dt.date:
    """The next Monday for a weekend day: nobody holds a coaching visit on a Sunday."""
    return day + dt.timedelta(days=(7 - day.weekday()) % 7) if day.weekday() >= 5 else day


def pick(rng: np.random.Generator, items: Sequence[str], k: int) -> list[str]:
    """``k`` distinct items of ``items`` drawn with ``rng``, in their original order."""
    return [items[int(i)] for i in sorted(rng.choice(len(items), size=k, replace=False))]
