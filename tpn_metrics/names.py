"""Resolve the names people write ("GASABO", "Gasabo District", "Kabutare DH") to ids.

A name resolves when its normalised form matches a known name or alias exactly, or when exactly
one known name lies within a small edit distance. Anything else is an error that names the
closest candidates, so the sender can fix the file instead of guessing what went wrong.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from rapidfuzz.distance import Levenshtein

from tpn_metrics.ingest.vocabulary import EntityKind

# Suffixes people add to district and hospital names; removed before comparing. Longest first.
_SUFFIXES = (
    "level two teaching hospital",
    "level 2 teaching hospital",
    "level ii teaching hospital",
    "l2 teaching hospital",
    "l2th",
    "district hospital",
    "provincial hospital",
    "referral hospital",
    "teaching hospital",
    "district",
    "hospital",
    "hopital",
    "dhmt",
    "akarere",
    "dh",
    "ph",
    "hd",
)
_PREFIXES = (
    *("akarere ka ", "district of ", "district de ", "district du ", "district d "),
    *("hopital de ", "hospital of ", "hopital "),
)


def fold(text: str) -> str:
    """Lower-case, strip accents, replace punctuation with single spaces."""
    decomposed = unicodedata.normalize("NFKD", text)
    ascii_only = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return re.sub(r"[^a-z0-9]+", " ", ascii_only.lower()).strip()


def normalise_name(text: str) -> str:
    """The comparison key of a district or hospital name."""
    key = fold(text)
    for prefix in _PREFIXES:
        if key.startswith(prefix):
            key = key[len(prefix) :]
    changed = True
    while changed:
        changed = False
        for suffix in _SUFFIXES:
            if key.endswith(" " + suffix) and len(key) > len(suffix) + 1:
                key = key[: -len(suffix) - 1].strip()
                changed = True
    return key.replace(" ", "")


class UnknownNameError(ValueError):
    """A name that matches no known entity, or more than one."""

    def __init__(
        self,
        kind: EntityKind,
        name: str,
        candidates: list[str],
        *,
        ambiguous: bool,
        message: str | None = None,
    ) -> None:
        self.kind = kind
        self.name = name
        self.candidates = candidates
        self.ambiguous = ambiguous
        closest = ", ".join(f"'{c}'" for c in candidates) or "none"
        if message is None and ambiguous:
            message = f"{kind} '{name}' is ambiguous: it could be {closest}"
        elif message is None:
            message = f"unknown {kind} '{name}' (closest known: {closest})"
        super().__init__(message)


@dataclass(frozen=True)
class NameResolver:
    """Exact-then-fuzzy lookup of display names and aliases to ids."""

    kind: EntityKind
    keys: dict[str, str]
    display: dict[str, str]

    @classmethod
    def build(
        cls, kind: EntityKind, entries: Iterable[tuple[str, str, Iterable[str]]]
    ) -> NameResolver:
        """Entries are (id, display name, aliases). Aliases shared by two ids are dropped."""
        keys: dict[str, str] = {}
        clashes: set[str] = set()
        display: dict[str, str] = {}
        for entity_id, name, aliases in entries:
            display[entity_id] = name
            for raw in (entity_id, name, *aliases):
                key = normalise_name(raw)
                if not key:
                    continue
                if key in keys and keys[key] != entity_id:
                    clashes.add(key)
                keys[key] = entity_id
        for key in clashes:
            del keys[key]
        return cls(kind=kind, keys=keys, display=display)

    def max_distance(self, key: str) -> int:
        """Edits (Levenshtein) a fuzzy match of this normalised name may be away."""
        # One typo in a short name, two in a long one: "Nyarugnge", "Rwamagan", "Kicukro".
        return 1 if len(key) <= 6 else 2

    def closest(self, name: str, limit: int = 3) -> list[str]:
        """Display names of up to ``limit`` entities nearest to ``name`` (edit distance)."""
        key = normalise_name(name)
        scored = sorted(
            ((Levenshtein.distance(key, k), entity_id) for k, entity_id in self.keys.items()),
            key=lambda pair: (pair[0], pair[1]),
        )
        seen: list[str] = []
        for _, entity_id in scored:
            if entity_id not in seen:
                seen.append(entity_id)
            if len(seen) == limit:
                break
        return [self.display[e] for e in seen]

    def resolve(self, name: str) -> str:
        """The id a name means; a bracketed old name counts (``Huye (Butare)``) when both
        parts agree or only one is known. Raises UnknownNameError (unknown or ambiguous)."""
        if "(" in name and ")" in name:
            bracketed = self._resolve_bracketed(name)
            if bracketed is not None:
                return bracketed
        return self._resolve_one(name)

    def exact(self, name: str) -> str | None:
        """The id whose name or alias is exactly this name (once normalised), else None."""
        return self.keys.get(normalise_name(name))

    def _resolve_bracketed(self, name: str) -> str | None:
        parts = [re.sub(r"\(.*?\)", " ", name), *re.findall(r"\((.*?)\)", name)]
        found: set[str] = set()
        for part in parts:
            try:
                found.add(self._resolve_one(part))
            except UnknownNameError:
                continue
        if len(found) > 1:
            raise UnknownNameError(
                self.kind, name, sorted(self.display[f] for f in found), ambiguous=True
            )
        return found.pop() if found else None

    def _resolve_one(self, name: str) -> str:
        key = normalise_name(name)
        if not key:
            raise UnknownNameError(self.kind, name, [], ambiguous=False)
        if key in self.keys:
            return self.keys[key]
        limit = self.max_distance(key)
        best: dict[str, int] = {}
        for known, entity_id in self.keys.items():
            distance = Levenshtein.distance(key, known, score_cutoff=limit)
            if distance <= limit:
                best[entity_id] = min(distance, best.get(entity_id, distance))
        if not best:
            raise UnknownNameError(self.kind, name, self.closest(name), ambiguous=False)
        nearest = min(best.values())
        winners = sorted(e for e, d in best.items() if d == nearest)
        if len(winners) > 1:
            raise UnknownNameError(
                self.kind, name, [self.display[w] for w in winners], ambiguous=True
            )
        return winners[0]
