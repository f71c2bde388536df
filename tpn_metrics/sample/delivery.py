"""When each sample file "arrived": its modification time, set so timeliness can be measured.

Ingestion records a file's modification time as when it reached the drop folder
(``landing.file_ledger.delivered_at``), so the sample sets every file's time on purpose and
deterministically (same seed, same times): an RSSB weekly update on the Friday evening of its
report date, Africa/Kigali (18:00 plus up to three hours, drawn from the seed), well before
the deadline of :mod:`tpn_metrics.lateness` (by default Saturday 12:00 Kigali); an
accreditation file on its publication day, 10:00 Kigali; the registry at 10:00 Kigali on the
day it is known as of. The one late RSSB file is the anomaly of
:mod:`tpn_metrics.sample.anomalies`.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Mapping
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np

from tpn_metrics.lateness import KIGALI

FRIDAY_EVENING = dt.time(18, 0)
EVENING_SPREAD_MINUTES = 180
OFFICE_HOURS = dt.time(10, 0)


def kigali(day: dt.date, time: dt.time) -> dt.datetime:
    """``day`` at ``time`` in Africa/Kigali, as an aware UTC datetime."""
    return dt.datetime.combine(day, time, tzinfo=ZoneInfo(KIGALI)).astimezone(dt.UTC)


def friday_evening_times(
    rng: np.random.Generator, report_dates: list[dt.date]
) -> dict[dt.date, dt.datetime]:
    """An on-time delivery (UTC) per report date: 18:00–21:00 Kigali on the report Friday."""
    minutes = rng.integers(0, EVENING_SPREAD_MINUTES, size=len(report_dates))
    return {
        day: kigali(day, FRIDAY_EVENING) + dt.timedelta(minutes=int(m))
        for day, m in zip(report_dates, minutes, strict=True)
    }


def set_delivery_times(times: Mapping[Path, dt.datetime]) -> None:
    """Set each file's modification (and access) time to its delivery time (aware, any zone).

    Raises OSError when a file is missing or its time cannot be set.
    """
    for path, moment in times.items():
        stamp = moment.timestamp()
        os.utime(path, (stamp, stamp))
