"""Emails as ``.eml`` files (RFC 5322 bytes): the dry-run outbox and the data team's fallback.

A file is written whole or not at all (``.partial`` then rename), so a reader never sees half
a message; :func:`read_eml` parses one back for tests and previews.
"""

from __future__ import annotations

import datetime as dt
import re
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path


def _write_atomically(data: bytes, path: Path) -> None:
    partial = path.with_suffix(".eml.partial")
    partial.write_bytes(data)
    partial.replace(path)


def write_eml(
    message: EmailMessage,
    outbox_dir: Path,
    *,
    report_date: dt.date,
    district_id: str,
    revision: int,
) -> Path:
    """Write a district's email to ``<outbox_dir>/<report date>/<district>[-r<revision>].eml``
    (no suffix for revision 1) and return the path. Raises OSError if the disk refuses.
    """
    folder = outbox_dir / report_date.isoformat()
    folder.mkdir(parents=True, exist_ok=True)
    suffix = "" if revision == 1 else f"-r{revision}"
    path = folder / f"{district_id}{suffix}.eml"
    _write_atomically(message.as_bytes(policy=policy.SMTP), path)
    return path


def write_stamped_eml(message: EmailMessage, folder: Path, name: str, *, now: dt.datetime) -> Path:
    """Write ``message`` to ``<folder>/<UTC time>-<slug of name>[-<n>].eml``, never over another
    file (two messages in the same second both stay); return the path.

    Raises OSError when the file cannot be written (a full or read-only disk).
    """
    folder.mkdir(parents=True, exist_ok=True)
    stamp = now.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower())[:60].strip("-")
    path = folder / f"{stamp}-{slug}.eml"
    number = 1
    while path.exists():  # two messages in the same second: keep both
        number += 1
        path = folder / f"{stamp}-{slug}-{number}.eml"
    _write_atomically(bytes(message), path)  # the message's own policy and line endings
    return path


def read_eml(path: Path) -> EmailMessage:
    """The message stored in an ``.eml`` file (modern ``email`` policy: ``get_body`` works)."""
    with path.open("rb") as handle:
        message = BytesParser(policy=policy.default).parse(handle)
    assert isinstance(message, EmailMessage)
    return message
