"""recipients.yaml: complete, checked at load, and a gap in it holds back no other district."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
import yaml

from tpn_metrics.emails.recipients import load_recipients
from tpn_metrics.settings import Settings
from tpn_metrics.stages import run_emails


def test_committed_recipients_cover_every_district() -> None:
    settings = Settings()
    with (settings.seeds_dir / "districts.csv").open(encoding="utf-8") as handle:
        districts = {row["district_id"] for row in csv.DictReader(handle)}
    recipients = load_recipients(settings.recipients_file)
    assert recipients.missing(districts) == []
    assert set(recipients.districts) == districts
    every = [a for r in recipients.districts.values() for a in r.addresses]
    assert len(every) == len(set(every)), "an address is shared between districts"


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ({"to": ["dhmt.gasabo@example"]}, "is not an email address"),
        ({"to": ["two words@example.org"]}, "is not an email address"),
        ({"to": []}, "has no addresses"),
        ({"to": ["dhmt.gasabo@example.org"], "language": "de"}, "de"),
    ],
)
def test_a_bad_entry_fails_at_load(tmp_path: Path, entry: dict[str, object], message: str) -> None:
    path = tmp_path / "recipients.yaml"
    path.write_text(yaml.safe_dump({"districts": {"gasabo": entry}}), encoding="utf-8")
    with pytest.raises((ValueError, KeyError), match=message):
        load_recipients(path)


@pytest.mark.slow
def test_a_district_without_recipients_is_reported_and_the_others_go(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    raw = yaml.safe_load(settings.recipients_file.read_text(encoding="utf-8"))
    del raw["districts"]["nyanza"]
    path = tmp_path / "recipients.yaml"
    path.write_text(yaml.safe_dump(raw), encoding="utf-8")
    monkeypatch.setenv("TPN_RECIPIENTS", str(path))
    report = run_emails(Settings(home=settings.home))
    assert report.delivered == 29
    assert report.errors == ("nyanza: no recipients configured for district 'nyanza'",)
    assert not any(p.name.startswith("nyanza") for p in report.paths)
