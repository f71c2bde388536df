"""Tell the data team when a run fails: a log line, a Markdown artifact and an email.

Attach to a flow with ``@flow(on_failure=[notify_failure], on_crashed=[notify_failure])``.
The email goes to ``data_team`` in the recipients file (``TPN_RECIPIENTS`` or
tpn_metrics/reports/recipients.yaml) through the ``TPN_SMTP_*`` settings of the district
emails; without SMTP (or when sending fails) it is written as an .eml file under
``<TPN_HOME>/outbox/failures/`` instead, so a failure is never silent.

Attach it to top-level flows only: a failing subflow would otherwise notify twice (once for
itself, once for its parent).
"""

from __future__ import annotations

import datetime as dt
import os
import re
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from tpn_metrics.settings import Settings

KIGALI = ZoneInfo("Africa/Kigali")
ARTIFACT_KEY = "tpn-failure-notice"

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
    subject: str
    text: str
    markdown: str


def redact(name: str, value: object) -> str:
    """A parameter as it may appear in a log or an email: no passwords, even inside URLs."""
    if _SECRET_KEY.search(name):
        return "***"
    return _URL_CREDENTIALS.sub(r"\1:***@", str(value))


def next_step(error: BaseException | None, state_name: str) -> str:
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
    outbox/failures/; return where it went (tpn_metrics.reports.data_team, shared with the
    late-file alert).

    Never raises for a delivery problem: the run has already failed, and the .eml file (plus
    the log line and artifact) is the fallback.
    """
    from tpn_metrics.reports.data_team import data_team_message, deliver_to_data_team

    message = data_team_message(notice.subject, notice.text, settings, kind="tpn-failure")
    return deliver_to_data_team(message, settings, folder="failures")


def _error_of(state: Any) -> BaseException | None:
    data = getattr(state, "data", None)
    if isinstance(data, BaseException):
        return data
    try:
        result = state.result(raise_on_failure=False)
    except Exception:
        return None
    return result if isinstance(result, BaseException) else None


def notify_failure(flow: Any, flow_run: Any, state: Any) -> None:
    """Prefect ``on_failure`` / ``on_crashed`` hook: log, artifact, email (or .eml file)."""
    from prefect.logging.loggers import flow_run_logger

    logger = flow_run_logger(flow_run, flow)
    parameters = dict(getattr(flow_run, "parameters", None) or {})
    run_url = None
    try:
        from prefect.utilities.urls import url_for

        run_url = url_for(flow_run)
    except Exception:
        run_url = None
    notice = compose_failure_notice(
        flow_name=str(getattr(flow, "name", "flow")),
        run_name=str(getattr(flow_run, "name", "?")),
        run_id=str(getattr(flow_run, "id", "?")),
        state_name=str(getattr(state, "name", "Failed")),
        state_message=getattr(state, "message", None),
        error=_error_of(state),
        parameters=parameters,
        started_at=getattr(flow_run, "start_time", None),
        run_url=run_url,
    )
    logger.error("%s\n%s", notice.subject, notice.text)
    try:
        # The hook runs after the flow run's context is gone: link the artifact explicitly.
        from prefect import get_client
        from prefect.client.schemas.actions import ArtifactCreate

        with get_client(sync_client=True) as client:
            client.create_artifact(
                artifact=ArtifactCreate(
                    type="markdown",
                    key=ARTIFACT_KEY,
                    description=f"Why {notice.subject[6:]}",
                    flow_run_id=getattr(flow_run, "id", None),
                    data=notice.markdown,
                )
            )
    except Exception as error:
        logger.warning("failure notice artifact not created (%s)", error)
    home = parameters.get("home")
    settings = Settings(home=Path(home)) if home else Settings()
    try:
        where = deliver_failure_notice(notice, settings)
    except Exception as error:  # e.g. an unreadable recipients file: say so, don't mask
        logger.error("failure notice not delivered: %s: %s", type(error).__name__, error)
        return
    logger.info("failure notice %s", where)
