""".eml files: where a district's email lands, and the data team's files never overwrite."""

from __future__ import annotations

import datetime as dt
from email.message import EmailMessage
from pathlib import Path

from tpn_metrics.emails.eml import read_eml, write_eml, write_stamped_eml


def _message(subject: str) -> EmailMessage:
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = "tpn-data@example.org"
    message["To"] = "gasabo@example.org"
    message.set_content("Coverage 71.3 %\n")
    return message


def test_a_district_email_lands_under_its_week_with_its_revision(tmp_path: Path):
    first = write_eml(
        _message("week"),
        tmp_path,
        report_date=dt.date(2023, 3, 31),
        district_id="gasabo",
        revision=1,
    )
    second = write_eml(
        _message("correction"),
        tmp_path,
        report_date=dt.date(2023, 3, 31),
        district_id="gasabo",
        revision=2,
    )
    assert first == tmp_path / "2023-03-31" / "gasabo.eml"
    assert second == tmp_path / "2023-03-31" / "gasabo-r2.eml"
    assert read_eml(second)["Subject"] == "correction"
    assert b"\r\n" in first.read_bytes()  # SMTP line endings, as a server would get them
    assert not list(tmp_path.rglob("*.partial"))


def test_two_notices_in_the_same_second_both_stay(tmp_path: Path):
    now = dt.datetime(2023, 4, 1, 10, 0, 5, tzinfo=dt.UTC)
    one = write_stamped_eml(_message("a"), tmp_path / "failures", "Weekly CBHI run!", now=now)
    two = write_stamped_eml(_message("b"), tmp_path / "failures", "Weekly CBHI run!", now=now)
    assert one.name == "20230401T100005Z-weekly-cbhi-run.eml"
    assert two.name == "20230401T100005Z-weekly-cbhi-run-2.eml"
    assert [read_eml(p)["Subject"] for p in (one, two)] == ["a", "b"]
    body = read_eml(one).get_body(("plain",))
    assert body is not None and "71.3 %" in body.get_content()
