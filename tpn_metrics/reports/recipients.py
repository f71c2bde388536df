"""Who gets each district's email (committed config: tpn_metrics/reports/recipients.yaml)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from tpn_metrics.reports.email_labels import labels_for


@dataclass(frozen=True)
class RecipientList:
    addresses: tuple[str, ...]
    language: str


@dataclass(frozen=True)
class Recipients:
    sender: str
    data_team: tuple[str, ...]
    districts: dict[str, RecipientList]

    def for_district(self, district_id: str) -> RecipientList | None:
        return self.districts.get(district_id)


def load_recipients(path: Path) -> Recipients:
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    default_language = raw.get("default_language", "en")
    districts = {}
    for district_id, entry in (raw.get("districts") or {}).items():
        language = entry.get("language", default_language)
        labels_for(language)  # an unsupported language fails here, at load, not mid-send
        addresses = tuple(str(a) for a in entry.get("to") or ())
        if not addresses:
            raise ValueError(f"{path}: district '{district_id}' has no addresses under 'to'")
        districts[str(district_id)] = RecipientList(addresses, language)
    return Recipients(
        sender=str(raw.get("sender", "TPN data team <tpn-data@example.org>")),
        data_team=tuple(raw.get("data_team") or ()),
        districts=districts,
    )
