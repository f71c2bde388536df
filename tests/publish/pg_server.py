"""A throw-away PostgreSQL server for tests: initdb in a temporary folder, trust auth, a free
port on 127.0.0.1, its unix socket in the same folder; stopped and deleted afterwards.

The server binaries come from ``TPN_PG_BINDIR``, ``pg_config --bindir`` or
``/usr/lib/postgresql/<version>/bin``. PostgreSQL refuses to run as root: as root, the server
runs as the ``postgres`` system user (or a ``tpnpg`` user created for the purpose).
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

INSTALL_HINT = (
    "PostgreSQL server binaries (initdb, postgres) not found: install them with "
    "`apt-get install -y --no-install-recommends postgresql-15` (Debian/Ubuntu), or point "
    "TPN_PG_BINDIR at a folder holding initdb and postgres"
)
SUPERUSER = "tpn"


class PostgresUnavailableError(RuntimeError):
    pass


def find_bindir() -> Path:
    candidates: list[Path] = []
    if os.environ.get("TPN_PG_BINDIR"):
        candidates.append(Path(os.environ["TPN_PG_BINDIR"]))
    pg_config = shutil.which("pg_config")
    if pg_config:
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            out = subprocess.run(
                [pg_config, "--bindir"], capture_output=True, text=True, check=True, timeout=10
            )
            candidates.append(Path(out.stdout.strip()))
    versions = sorted(
        Path("/usr/lib/postgresql").glob("*/bin"),
        key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0,
        reverse=True,
    )
    candidates.extend(versions)
    initdb = shutil.which("initdb")
    if initdb:
        candidates.append(Path(initdb).parent)
    for folder in candidates:
        if (folder / "initdb").is_file() and (folder / "postgres").is_file():
            return folder
    raise PostgresUnavailableError(INSTALL_HINT)


def _server_user() -> pwd.struct_passwd | None:
    """None when we are not root (the server runs as us); else an unprivileged user."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "tpnpg"):
        with contextlib.suppress(KeyError):
            return pwd.getpwnam(name)
    subprocess.run(
        ["useradd", "-M", "-r", "-s", "/usr/sbin/nologin", "tpnpg"], check=True, timeout=30
    )
    return pwd.getpwnam("tpnpg")


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass(frozen=True)
class PostgresServer:
    host: str
    port: int
    user: str
    folder: Path

    def url(self, database: str = "postgres", **query: str) -> str:
        extra = "&".join(f"{k}={v}" for k, v in query.items())
        base = f"postgresql+psycopg://{self.user}@{self.host}:{self.port}/{database}"
        return f"{base}?{extra}" if extra else base

    def conninfo(self, database: str = "postgres") -> str:
        return f"host={self.host} port={self.port} user={self.user} dbname={database}"

    def create_database(self, name: str) -> str:
        import psycopg

        with psycopg.connect(self.conninfo(), autocommit=True) as con:
            con.execute(f'create database "{name}"')
        return self.url(name)


@contextlib.contextmanager
def running_postgres(startup_timeout: float = 60.0) -> Iterator[PostgresServer]:
    import psycopg

    bindir = find_bindir()
    account = _server_user()
    folder = Path(tempfile.mkdtemp(prefix="tpn-pg-"))
    as_user: dict[str, object] = {}
    if account is not None:
        os.chown(folder, account.pw_uid, account.pw_gid)
        as_user = {"user": account.pw_uid, "group": account.pw_gid, "extra_groups": []}
    data = folder / "data"
    env = {**os.environ, "LC_ALL": "C", "TZ": "UTC"}
    if account is not None:
        env["HOME"] = str(folder)
    process: subprocess.Popen[bytes] | None = None
    log = None
    try:
        initdb = subprocess.run(
            [
                str(bindir / "initdb"),
                "-D",
                str(data),
                "-A",
                "trust",
                "-U",
                SUPERUSER,
                "-E",
                "UTF8",
                "--locale=C",
                "--no-sync",
            ],
            capture_output=True,
            text=True,
            env=env,
            cwd=folder,
            timeout=120,
            check=False,
            **as_user,  # type: ignore[arg-type]
        )
        if initdb.returncode != 0:
            raise PostgresUnavailableError(f"initdb failed:\n{initdb.stdout}\n{initdb.stderr}")
        port = _free_port()
        log = (folder / "postgres.log").open("wb")
        process = subprocess.Popen(
            [
                str(bindir / "postgres"),
                "-D",
                str(data),
                "-p",
                str(port),
                "-c",
                "listen_addresses=127.0.0.1",
                "-c",
                f"unix_socket_directories={folder}",
                "-c",
                "fsync=off",
                "-c",
                "synchronous_commit=off",
                "-c",
                "full_page_writes=off",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=folder,
            **as_user,  # type: ignore[arg-type]
        )
        server = PostgresServer("127.0.0.1", port, SUPERUSER, folder)
        deadline = time.monotonic() + startup_timeout
        while True:
            try:
                with psycopg.connect(server.conninfo(), connect_timeout=2):
                    break
            except psycopg.OperationalError:
                if process.poll() is not None or time.monotonic() > deadline:
                    output = (folder / "postgres.log").read_text(errors="replace")
                    raise PostgresUnavailableError(
                        f"PostgreSQL did not start on port {port}:\n{output[-3000:]}"
                    ) from None
                time.sleep(0.2)
        yield server
    finally:
        if process is not None and process.poll() is None:
            process.send_signal(signal.SIGINT)  # "fast" shutdown
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
        if log is not None:
            log.close()
        shutil.rmtree(folder, ignore_errors=True)
