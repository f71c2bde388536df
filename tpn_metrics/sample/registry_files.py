"""The TPN registry files of the sample: institutions, priorities, strengths, pairs, events."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from pathlib import Path

from tpn_metrics.reference import District
from tpn_metrics.sample.design import Design
from tpn_metrics.sample.writers import Cell, write_csv


def _table(header: list[Cell], rows: Iterable[list[Cell]]) -> list[list[Cell]]:
    return [header, *rows]


def write_registry(
    folder: Path, design: Design, districts: Sequence[District], today: dt.date
) -> list[Path]:
    """Write the registry as known on ``today`` (later members, pairs and events left out)
    into ``folder``, one CSV per table; returns the paths written.
    """
    folder.mkdir(parents=True, exist_ok=True)
    names = {d.district_id: d.district_name for d in districts}
    members = [i for i in design.institutions if i.joined_on <= today]
    present = {i.institution_id for i in members}
    tables: dict[str, list[list[Cell]]] = {
        "institutions": _table(
            [
                "institution_id",
                "name",
                "kind",
                "district",
                "hospital_category",
                "is_tpn_member",
                "joined_on",
            ],
            (
                [
                    i.institution_id,
                    i.name,
                    i.kind,
                    names[i.district_id],
                    i.hospital_category,
                    "true",
                    i.joined_on,
                ]
                for i in members
            ),
        ),
        "priorities": _table(
            ["institution_id", "topic", "rank", "chosen_on"],
            (
                [p.institution_id, p.topic, p.rank, p.chosen_on]
                for p in design.priorities
                if p.institution_id in present
            ),
        ),
        "strengths": _table(
            ["institution_id", "topic"],
            ([s.institution_id, s.topic] for s in design.strengths if s.institution_id in present),
        ),
        "pairs": _table(
            ["rising_id", "shining_id", "topic", "started_on", "ended_on"],
            (
                [
                    p.rising_id,
                    p.shining_id,
                    p.topic,
                    p.started_on,
                    p.ended_on if p.ended_on and p.ended_on <= today else None,
                ]
                for p in design.pairs
                if p.started_on <= today
            ),
        ),
        "events": _table(
            ["event_date", "kind", "topic", "institution_ids"],
            (
                [e.event_date, e.kind, e.topic, ";".join(e.institution_ids)]
                for e in design.events
                if e.event_date <= today
            ),
        ),
    }
    written = []
    for name, table in tables.items():
        path = folder / f"{name}.csv"
        write_csv(path, table)
        written.append(path)
    return written
