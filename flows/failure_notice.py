"""Tell the data team when a run fails: a log line, a Markdown artifact and an email.

Attach to a flow with ``@flow(on_failure=[notify_failure], on_crashed=[notify_failure])``.
The notice's text and its delivery are :mod:`tpn_metrics.emails.failure_notice`: the email
goes to ``data_team`` in the recipients file (``TPN_RECIPIENTS`` or
tpn_metrics/emails/recipients.yaml) through the ``TPN_SMTP_*`` settings of the district
emails; without SMTP (or when sending fails) it is written as an .eml file under
``<TPN_HOME>/outbox/failures/`` instead, so a failure is never silent.

Attach it to top-level flows only: a failing subflow would otherwise notify twice (once for
itself, once for its parent).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tpn_metrics.emails.failure_notice import compose_failure_notice, deliver_failure_notice
from tpn_metrics.settings import Settings

ARTIFACT_KEY = "tpn-failure-notice"


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
