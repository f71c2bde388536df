"""A small real warehouse and a real SMTP server (aiosmtpd on loopback) for the email tests.

The warehouse is built once per test run (once for all xdist workers) from the sample
generator's own files: the registry and the last Fridays of FY 2022/23 (ingested, validated
and modelled by dbt exactly as the pipeline does), without the Prefect demo. The last Friday
of the year is held back so a test can receive it as a new week. Each test works on its own
copy of the warehouse folder.
"""

from __future__ import annotations

import datetime as dt
import errno
import re
import shutil
import ssl
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from tests.emails.support import HELD_BACK, Recorder, SampleWeeks, SmtpServerHandle, free_port
from tests.shared_build import built_once, fy2023_sample
from tpn_metrics.dbt_runner import dbt_build_in_place
from tpn_metrics.emails.recipients import Recipients, load_recipients
from tpn_metrics.ingest.intake import ingest_paths
from tpn_metrics.settings import Settings

WEEKS_LOADED = 6

_DATE_IN_NAME = (
    (re.compile(r"(\d{4})-(\d{2})-(\d{2})"), (1, 2, 3)),
    (re.compile(r"(\d{2})[-.](\d{2})[-.](\d{4})"), (3, 2, 1)),
    (re.compile(r"(\d{4})(\d{2})(\d{2})"), (1, 2, 3)),
)


def _date_in_name(name: str) -> dt.date:
    for pattern, (year, month, day) in _DATE_IN_NAME:
        found = pattern.search(name)
        if found:
            return dt.date(int(found[year]), int(found[month]), int(found[day]))
    raise ValueError(f"no date in sample file name {name!r}")


@pytest.fixture(scope="session")
def sample_weeks(tmp_path_factory: pytest.TempPathFactory) -> SampleWeeks:
    """The sample generator's files, generated once per run (read-only: copy to change)."""
    root = fy2023_sample(tmp_path_factory)
    files = {_date_in_name(p.name): p for p in (root / "rssb_weekly").iterdir()}
    fridays = sorted(d for d in files if d < HELD_BACK)
    assert HELD_BACK in files
    return SampleWeeks(root, files, tuple(fridays[-WEEKS_LOADED:]))


@pytest.fixture(scope="session")
def built_home(tmp_path_factory: pytest.TempPathFactory, sample_weeks: SampleWeeks) -> Path:
    """The warehouse home built once per run (read-only: each test copies it)."""

    def build(folder: Path) -> None:
        settings = Settings(home=folder / "home")
        paths = [sample_weeks.root / "registry"]
        paths += [sample_weeks.files[d] for d in sample_weeks.loaded]
        outcomes = ingest_paths(paths, settings)
        assert [o.status for o in outcomes] == ["loaded"] * len(paths), outcomes
        dbt_build_in_place(settings)

    return built_once(tmp_path_factory, "email-warehouse", build) / "home"


@pytest.fixture
def settings(tmp_path: Path, built_home: Path) -> Settings:
    """This test's own copy of the session warehouse (DuckDB file, landing store, dbt target)."""
    home = tmp_path / "home"
    shutil.copytree(built_home, home)
    return Settings(home=home)


@pytest.fixture(scope="session")
def recipients() -> Recipients:
    return load_recipients(Settings().recipients_file)


@pytest.fixture
def start_smtp() -> Iterator[Callable[..., SmtpServerHandle]]:
    """Start aiosmtpd servers on 127.0.0.1, stopped after the test:
    ``start_smtp(port=None, recorder=None, **controller_options)``.
    """
    running: list[Controller] = []

    def start(
        port: int | None = None, recorder: Recorder | None = None, **options: Any
    ) -> SmtpServerHandle:
        recorder = recorder or Recorder()
        # A free port can be taken by another process (an xdist worker) before we bind it:
        # without a port asked for, try another one.
        attempts = 1 if port else 5
        for attempt in range(1, attempts + 1):
            chosen = port or free_port()
            controller = Controller(recorder, hostname="127.0.0.1", port=chosen, **options)
            try:
                controller.start()
            except OSError as error:
                if error.errno == errno.EADDRINUSE and attempt < attempts:
                    continue
                raise
            running.append(controller)
            return SmtpServerHandle(controller, recorder, chosen)
        raise AssertionError("the last attempt returns or raises")

    yield start
    for controller in running:
        controller.stop()


@dataclass(frozen=True)
class TestCertificate:
    ca_file: Path
    server_context: ssl.SSLContext


@pytest.fixture(scope="session")
def tls_certificate(tmp_path_factory: pytest.TempPathFactory) -> TestCertificate:
    """A throw-away CA and a server certificate for 127.0.0.1 / localhost, signed by it."""
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    folder = tmp_path_factory.mktemp("tls")
    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "TPN test CA")])
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), False
        )
        .sign(ca_key, hashes.SHA256())
    )
    ca_file = folder / "ca.pem"
    ca_file.write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    cert_file = folder / "server.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file = folder / "server.key"
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert_file, key_file)
    return TestCertificate(ca_file, context)
