"""A real Prefect server, `prefect deploy --all` of this repo's prefect.yaml, and a process
worker, as separate processes: what docs/operations.md asks an operator to run.

Every process starts in its own process group and is stopped by that group's id (SIGTERM,
then SIGKILL after 10 s), also when a test fails. Logs go to files under the run's folder and
are quoted in assertion messages.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[2]
PREFECT = [sys.executable, "-m", "prefect"]
POOL = "tpn-process"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def tail(path: Path, lines: int = 30) -> str:
    if not path.exists():
        return f"({path} is empty)"
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


@dataclass
class PrefectStack:
    """Server, deployments and worker of one test session, under ``base``."""

    base: Path
    env_extra: dict[str, str] = field(default_factory=dict)
    port: int = field(default_factory=free_port)
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api"

    @property
    def env(self) -> dict[str, str]:
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("PREFECT_", "TPN_SMTP_"))
        }
        env.update(
            PREFECT_HOME=str(self.base / "prefect"),
            PREFECT_API_URL=self.api_url,
            PREFECT_SERVER_ANALYTICS_ENABLED="false",
            PREFECT_SERVER_UI_ENABLED="false",
            DO_NOT_TRACK="1",
            # The yearly 1 July run is up to 366 days ahead; Prefect's default horizon is 100.
            PREFECT_SERVER_SERVICES_SCHEDULER_MAX_SCHEDULED_TIME="P400D",
            # Test speed only: the scheduler looks every 2 s instead of 60, the worker polls
            # every 2 s instead of 10, a queued run re-asks for its slot after 3 s, not 30.
            PREFECT_SERVER_SERVICES_SCHEDULER_LOOP_SECONDS="2",
            PREFECT_WORKER_QUERY_SECONDS="2",
            PREFECT_SERVER_DEPLOYMENTS_CONCURRENCY_SLOT_WAIT_SECONDS="3",
        )
        env.update(self.env_extra)
        return env

    def log(self, name: str) -> Path:
        return self.base / f"{name}.log"

    def start(self, name: str, *args: str) -> subprocess.Popen[bytes]:
        handle = self.log(name).open("ab")
        process = subprocess.Popen(
            [*PREFECT, *args],
            cwd=ROOT,
            env=self.env,
            stdout=handle,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, stopped by id in stop()
        )
        handle.close()
        self.processes.append(process)
        return process

    def run(self, name: str, *args: str, timeout: float = 120) -> str:
        result = subprocess.run(
            [*PREFECT, *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        self.log(name).write_text(result.stdout + result.stderr)
        assert result.returncode == 0, f"prefect {' '.join(args)} failed:\n{tail(self.log(name))}"
        return result.stdout

    def start_server(self) -> None:
        self.start("server", "server", "start", "--host", "127.0.0.1", "--port", str(self.port))

    def wait_healthy(self, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.processes[0].poll() is None, f"server exited:\n{tail(self.log('server'))}"
            try:
                if httpx.get(f"{self.api_url}/health", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        raise AssertionError(f"server not healthy after {timeout} s:\n{tail(self.log('server'))}")

    def api(self, method: str, path: str, body: Any = None) -> Any:
        """One API call. Like Prefect's own client (PREFECT_CLIENT_MAX_RETRIES), it retries
        the server's 502/503 answers, which a busy SQLite database gives under load (the
        server rolled the request back), with a growing delay."""
        for delay in (1, 2, 4, 8, None):
            response = httpx.request(method, f"{self.api_url}{path}", json=body, timeout=30)
            if response.status_code not in (502, 503) or delay is None:
                break
            time.sleep(delay)
        assert response.status_code < 300, f"{method} {path}: {response.text}"
        return response.json() if response.content else None

    def stop(self) -> None:
        """Stop every process started, by process group id: TERM, then KILL after 10 s."""
        for process in reversed(self.processes):
            if process.poll() is None:
                try:
                    os.killpg(process.pid, signal.SIGTERM)
                except ProcessLookupError:
                    continue
        for process in reversed(self.processes):
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)
            with contextlib.suppress(ProcessLookupError):  # children left in the group
                os.killpg(process.pid, signal.SIGKILL)
