"""The failure notice's text: what failed, what to do, no passwords (pure, no Prefect)."""

from __future__ import annotations

from tpn_metrics.emails.failure_notice import compose_failure_notice


def test_the_notice_says_what_failed_what_to_do_and_hides_passwords():
    try:
        raise ConnectionRefusedError("connection refused by db.example.org:5432")
    except ConnectionRefusedError as error:
        caught = error
    notice = compose_failure_notice(
        flow_name="publish",
        run_name="quiet-heron",
        run_id="0f0e",
        state_name="Failed",
        state_message="Flow run encountered an exception",
        error=caught,
        parameters={"url": "postgresql://publisher:s3cret@db/tpn", "api_password": "x"},
        started_at=None,
    )
    assert notice.subject.startswith("[TPN] publish run failed: ConnectionRefusedError")
    for text in (notice.text, notice.markdown):
        assert "s3cret" not in text
        assert "postgresql://publisher:***@db/tpn" in text
        assert "api_password = x" not in text
        assert "all tables or none" in text  # the connection-error advice
        assert "Traceback" in text
