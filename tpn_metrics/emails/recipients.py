"""Who gets each district's email (committed config: tpn_metrics/emails/recipients.yaml).

A deployment points ``TPN_RECIPIENTS`` at its own copy. The file is checked whole when it is
loaded, so a typo fails before the first email of a run rather than halfway through it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from email.utils import parseaddr
from pathlib import Path

import yaml

from tpn_metrics.emails.labels import labels_for

# Deliberately loose (the SMTP server has the last word): one @, no spaces, a dotted domain.
_ADDRESS = re.compile(r"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$")


@dataclass(frozen=True)
class RecipientList:
    """One district's addresses and the language its email is written in."""

    addresses: tuple[str, ...]
    language: str


@dataclass(frozen=True)
class Recipients:
    """The whole recipients file: sender, data team (notices, alerts), districts."""

    sender: str
    data_team: tuple[str, ...]
    districts: dict[str, RecipientList]

    def for_district(self, district_id: str) -> RecipientList | None:
        """The district's recipients; None when the file lists none for it."""
        return self.districts.get(district_id)

    def missing(self, district_ids: Iterable[str]) -> list[str]:
        """The districts, among ``district_ids``, that have no recipients configured."""
        return sorted(set(district_ids) - set(self.districts))


def _check_address(path: Path, where: str, address: str) -> str:
    _, bare = parseaddr(address)
    if not _ADDRESS.match(bare):
        raise ValueError(f"{path}: {where}: {address!r} is not an email address")
    return address


def load_recipients(path: Path) -> Recipients:
    """Read and check a recipients YAML file (``sender``, ``data_team``, ``default_language``,
    ``districts: {id: {to: [...], language}}``).

    Raises ValueError naming the file and entry for an invalid address, a district without
    addresses, or an unsupported language; OSError when the file cannot be read.
    """
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    default_language = raw.get("default_language", "en")
    districts = {}
    for district_id, entry in (raw.get("districts") or {}).items():
        language = entry.get("language", default_language)
        labels_for(language)  # an unsupported language fails here, at load, not mid-send
        addresses = tuple(
            _check_address(path, f"district '{district_id}'", str(a)) for a in entry.get("to") or ()
        )
        if not addresses:
            raise ValueError(f"{path}: district '{district_id}' has no addresses under 'to'")
        districts[str(district_id)] = RecipientList(addresses, language)
    sender = str(raw.get("sender", "TPN data team <tpn-data@example.org>"))
    return Recipients(
        sender=_check_address(path, "sender", sender),
        data_team=tuple(
            _check_address(path, "data_team", str(a)) for a in raw.get("data_team") or ()
        ),
        districts=districts,
    )
