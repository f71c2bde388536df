"""Hourly: has RSSB's weekly file missed its deadline? One alert per missing week to the data
team (tpn_metrics.emails.late_alert; the definition of late is tpn_metrics.lateness).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from prefect import flow, get_run_logger, task

from flows.failure_notice import notify_failure
from tpn_metrics.emails.late_alert import LateAlertReport, check_late_files
from tpn_metrics.lateness import describe_missing
from tpn_metrics.settings import Settings


@task(name="check-late-files", retries=2, retry_delay_seconds=[10, 60])
def check_late_files_task(home: str, now: dt.datetime | None = None) -> LateAlertReport:
    """Reads the ledger and records alerts: retried when the warehouse is busy."""
    from pathlib import Path

    report = check_late_files(Settings(home=Path(home)), now=now)
    logger = get_run_logger()
    if report.alerted:
        logger.warning(
            "late RSSB weeks alerted: %s; %s", describe_missing(report.alerted), report.delivered
        )
    logger.info("%d week(s) late now, %d newly alerted", len(report.missing), len(report.alerted))
    return report


@flow(name="late-file-alert", on_failure=[notify_failure], on_crashed=[notify_failure])
def late_file_alert(home: str | None = None, now: dt.datetime | None = None) -> LateAlertReport:
    """Alert the data team, once per week, when RSSB's weekly file is late.

    Parameters: home, the TPN_HOME of the warehouse; now, the moment to judge at (UTC,
    default: now). The deadline is TPN_RSSB_DEADLINE on the worker (default Saturday 12:00
    Africa/Kigali).
    """
    from tpn_metrics.lateness import FileDeadline

    settings = Settings(home=Path(home)) if home else Settings()
    FileDeadline.from_settings(settings)  # a wrong TPN_RSSB_DEADLINE fails here, in one line
    return check_late_files_task(str(settings.home), now=now)
