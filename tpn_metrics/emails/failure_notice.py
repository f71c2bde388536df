"""A failed run's notice to the data team: its text, what to do by error class, and its
delivery (SMTP, else an .eml file under ``<TPN_HOME>/outbox/failures/``).

Pure composition (no Prefect): the hook that reads the flow run and its state, logs and
creates the artifact is ``flows/failure_notice.py``.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import traceback
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from tpn_metrics.emails.data_team import data_team_message, deliver_to_data_team
from tpn_metrics.settings import Settings

KIGALI = ZoneInfo("Africa/Kigali")

#: What the person reading the notice should do, by the exception's class name.
NEXT_STEPS = {
    "DbtBuildError": (
        "A dbt model, contract or test failed, so the run stopped before the evaluation and "
        "before any email went out. The failing nodes are named above; the full dbt log is in "
        "<TPN_HOME>/var/dbt_logs. Fix the data (ask the sender for a corrected file) or the "
        "model, then run the deployment again."
    ),
    "WarehouseBusyError": (
        "Another process held the warehouse file. Close other sessions on it (analysts can "
        "work on the PostgreSQL copy) and run the deployment again."
    ),
    "RefusedFilesError": (
        "Some files were refused (quarantined or crashed in validation); everything else was "
        "loaded, built and evaluated. `tpn quarantine` lists the reasons in words a sender can "
        "act on: ask for corrected files and drop them in the folder again."
    ),
    "ConfigurationError": (
        "A setting is missing or wrong (the line above names it). Nothing was done and the "
        "run was not retried: fix the setting on the worker (or set it and run `prefect "
        "--no-prompt deploy --all` again for TPN_DROP_FOLDER and TPN_MOH_DROP_FOLDER), then "
        "run the deployment again."
    ),
    "FileNotFoundError": (
        "A folder or file the run needs is missing: check TPN_HOME, TPN_DROP_FOLDER and "
        "TPN_MOH_DROP_FOLDER on the worker, and the deployment's parameters."
    ),
    "UnsupportedTypeError": (
        "A published table has a column type the publish cannot carry over: cast it in its "
        "dbt model. The analysts' copy was not changed."
    ),
}
CONNECTION_STEP = (
    "The database could not be reached, even after retries. The analysts' copy was not "
    "changed (a publish is all tables or none): check the server and TPN_PUBLISH_URL, then "
    "run the deployment again."
)
CRASH_STEP = (
    "The run's process died (out of memory, killed, worker restarted) without raising an "
    "error in the flow. Check the worker's log and the machine, then run the deployment again."
)
DEFAULT_STEP = "Unexpected error: the traceback is below and in the flow run's log."

_SECRET_KEY = re.compile(r"password|secret|token|api_key|credential", re.IGNORECASE)
_URL_CREDENTIALS = re.compile(r"(://[^/:@\s]+):[^@\s]*@")


@dataclass(frozen=True)
class FailureNotice:
    """A failure notice: the email's subject and plain text, and the artifact's Markdown."""

    subject: str
    text: str
    markdown: str


def redact(name: str, value: object) -> str:
    """A parameter as it may appear in a log or an email: no passwords, even inside URLs."""
    if _SECRET_KEY.search(name):
        return "***"
    return _URL_CREDENTIALS.sub(r"\1:***@", str(value))


def next_step(error: BaseException | None, state_name: str) -> str:
    """What the reader should do, by the error's class (or any base class) in NEXT_STEPS;
    connection errors to the database, a crash without error, and anything else get their own
    advice."""
    if error is None:
        return CRASH_STEP if state_name.lower() == "crashed" else DEFAULT_STEP
    from tpn_metrics.publish import is_connection_error

    if is_connection_error(error):
        return CONNECTION_STEP
    for cls in type(error).__mro__:
        if cls.__name__ in NEXT_STEPS:
            return NEXT_STEPS[cls.__name__]
    return DEFAULT_STEP


def compose_failure_notice(
    *,
    flow_name: str,
    run_name: str,
    run_id: str,
    state_name: str,
    state_message: str | None,
    error: BaseException | None,
    parameters: dict[str, Any],
    started_at: dt.datetime | None,
    run_url: str | None = None,
) -> FailureNotice:
    """The notice's subject, plain text and Markdown (pure: no Prefect, no I/O)."""
    when = (started_at or dt.datetime.now(dt.UTC)).astimezone(KIGALI)
    what = f"{type(error).__name__}: {error}" if error is not None else (state_message or "")
    headline = what.strip().splitlines()[0][:160] if what.strip() else state_name
    subject = f"[TPN] {flow_name} run {state_name.lower()}: {headline}"
    facts = [
        ("flow", flow_name),
        ("run", f"{run_name} ({run_id})"),
        ("started", when.strftime("%Y-%m-%d %H:%M %Z (Africa/Kigali)")),
        ("state", f"{state_name}: {state_message or ''}".strip().rstrip(":")),
    ]
    if run_url:
        facts.append(("in the Prefect UI", run_url))
    shown = {name: redact(name, value) for name, value in sorted(parameters.items())}
    trace = ""
    if error is not None and error.__traceback__ is not None:
        # Our frames only: Prefect's engine frames are in the flow run's log if wanted.
        frames = [
            frame
            for frame in traceback.extract_tb(error.__traceback__)
            if f"{os.sep}prefect{os.sep}" not in frame.filename
        ]
        trace = (
            "Traceback (most recent call last):\n"
            + "".join(traceback.format_list(frames))
            + "".join(traceback.format_exception_only(error))
        )[-4000:]
    step = next_step(error, state_name)

    text_lines = [f"The TPN flow '{flow_name}' did not finish.", ""]
    text_lines += [f"{label}: {value}" for label, value in facts]
    text_lines += ["", "What went wrong:", what or "(no error recorded)", "", "What to do:", step]
    text_lines += ["", "Parameters:"] + [f"  {k} = {v}" for k, v in shown.items()]
    if trace:
        text_lines += ["", "Traceback (last lines):", trace]

    md = [f"# {flow_name} run {state_name.lower()}", ""]
    md += [f"- **{label}**: {value}" for label, value in facts]
    md += ["", "## What went wrong", "", "```", what or "(no error recorded)", "```"]
    md += ["", "## What to do", "", step, "", "## Parameters", ""]
    md += ["| parameter | value |", "|---|---|"]
    md += [f"| {k} | `{v}` |" for k, v in shown.items()]
    if trace:
        md += ["", "## Traceback (last lines)", "", "```", trace.rstrip(), "```"]
    return FailureNotice(subject, "\n".join(text_lines) + "\n", "\n".join(md) + "\n")


def deliver_failure_notice(notice: FailureNotice, settings: Settings) -> str:
    """Email the data team (SMTP from TPN_SMTP_*), or write an .eml file under
    outbox/failures/; return where it went (:mod:`tpn_metrics.emails.data_team`, shared with
    the late-file alert).

    Never raises for a delivery problem (the run has already failed, and the .eml file plus
    the hook's log line and artifact are the fallback); raises OSError or ValueError when the
    recipients file cannot be read, or the .eml file cannot be written.
    """
    message = data_team_message(notice.subject, notice.text, settings, kind="tpn-failure")
    return deliver_to_data_team(message, settings, folder="failures")
