"""Configuration's one door: every ``TPN_*`` environment variable is read here, once.

Commands and flows build one :class:`Settings` (``Settings()`` reads ``os.environ``;
``Settings.from_environment(mapping)`` reads a mapping, for tests) and pass it down; no other
module of ``tpn_metrics/`` or ``flows/`` reads the environment. The variables other tools read
(Prefect, dbt's ``env_var()``, Great Expectations' config) are *set* in one module,
:mod:`tpn_metrics.tool_environment`, which says why.

Run-time outputs (warehouse, landing store, outbox, reports) go under ``home``, which defaults
to the project checkout and can be moved with ``TPN_HOME`` so tests and benchmarks run in a
temporary folder without touching the demo's warehouse.

Variables (all optional; docs/operations.md has the operator's table):

========================  =====================================================================
TPN_HOME                  run-time outputs (default: the checkout)
TPN_RECIPIENTS            the district recipients YAML (default: the committed example)
TPN_DROP_FOLDER           the RSSB drop folder (`tpn run weekly`, the weekly deployment)
TPN_MOH_DROP_FOLDER       the MOH drop folder (`tpn run accreditation`)
TPN_DHIS2_DROP_FOLDER     the HMIS (DHIS2) exports' drop folder (`tpn run dhis2`)
TPN_RSSB_DEADLINE         when RSSB's Friday file is due, e.g. "saturday 12:00" (Africa/Kigali)
TPN_PSEUDONYM_SALT        secret (>= 16 characters) that pseudonymises household references
TPN_PUBLISH_URL           the analysts' PostgreSQL database (`tpn publish`)
TPN_DBT_LOG_LEVEL         dbt's console log level (default: warn)
TPN_DBT_THREADS           dbt's threads (default: profiles.yml's); 1 on CPython < 3.11.8
TPN_SMTP_*                SMTP delivery; unset TPN_SMTP_HOST means the dry-run outbox
========================  =====================================================================
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SECURITY_MODES = ("starttls", "ssl", "none")


class ConfigurationError(ValueError):
    """A setting is missing or wrong: the run cannot succeed until a person fixes it.

    Raised before any work, with one line naming the setting. Flows never retry it (a retry
    cannot fix configuration); tasks retry I/O faults only.
    """


def _environ() -> Mapping[str, str]:
    return os.environ


def _text(environ: Mapping[str, str], name: str) -> str | None:
    """The variable's value, or None when it is unset or blank."""
    value = environ.get(name)
    return value if value is not None and value.strip() else None


def _threads(environ: Mapping[str, str], name: str) -> int | None:
    """A positive whole number of threads, or None (unset: the dbt profile's own count)."""
    value = _text(environ, name)
    if value is None:
        return None
    if not value.strip().isdigit() or int(value) < 1:
        raise ConfigurationError(f"{name}={value!r} is not a whole number of threads, e.g. 1")
    return int(value)


def _path(environ: Mapping[str, str], name: str) -> Path | None:
    value = _text(environ, name)
    return Path(value) if value is not None else None


@dataclass(frozen=True)
class SmtpSettings:
    """Where and how to send. ``password`` never appears in ``repr`` (nor in any log line).

    Raises ConfigurationError (a ValueError) for an unknown ``security`` and for a password
    that would travel unencrypted to a host that is not on this machine.
    """

    host: str
    port: int = 587
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    security: str = "starttls"  # starttls | ssl | none
    timeout: float = 30.0  # seconds
    ca_file: str | None = None  # extra CA bundle, e.g. a relay with a private CA

    def __post_init__(self) -> None:
        if self.security not in SECURITY_MODES:
            raise ConfigurationError(
                f"TPN_SMTP_SECURITY must be one of {', '.join(SECURITY_MODES)}, "
                f"not {self.security!r}"
            )
        if self.username and self.security == "none" and not _is_loopback(self.host):
            raise ConfigurationError(
                f"refusing to send an SMTP password unencrypted to {self.host}: "
                "use security 'starttls' or 'ssl'"
            )

    def __repr__(self) -> str:  # never let a password reach a log line
        user = "" if self.username is None else f", username={self.username!r}"
        return (
            f"SmtpSettings(host={self.host!r}, port={self.port}, security={self.security!r}{user})"
        )

    __str__ = __repr__

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> SmtpSettings | None:
        """Settings from ``TPN_SMTP_*`` variables; None (dry run) when TPN_SMTP_HOST is unset.

        TPN_SMTP_HOST, TPN_SMTP_PORT (587; 465 for ssl), TPN_SMTP_SECURITY (starttls | ssl |
        none), TPN_SMTP_USERNAME, TPN_SMTP_PASSWORD, TPN_SMTP_TIMEOUT (30 s), TPN_SMTP_CA_FILE.
        ``environ`` defaults to ``os.environ``.
        """
        env = _environ() if environ is None else environ
        host = env.get("TPN_SMTP_HOST")
        if not host:
            return None
        security = env.get("TPN_SMTP_SECURITY", "starttls").strip().lower()
        default_port = "465" if security == "ssl" else "587"
        return cls(
            host=host,
            port=int(_number(env, "TPN_SMTP_PORT", default_port, "a port number, e.g. 587")),
            username=env.get("TPN_SMTP_USERNAME") or None,
            password=env.get("TPN_SMTP_PASSWORD") or None,
            security=security,
            timeout=_number(env, "TPN_SMTP_TIMEOUT", "30", "a number of seconds, e.g. 30"),
            ca_file=env.get("TPN_SMTP_CA_FILE") or None,
        )


def _number(environ: Mapping[str, str], name: str, default: str, what: str) -> float:
    """The variable as a positive number; ConfigurationError naming it otherwise."""
    text = environ.get(name) or default
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if value <= 0 or (what.startswith("a port") and not value.is_integer()):
        raise ConfigurationError(f"{name}={text!r} is not {what}")
    return value


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


#: Each Settings field read from the environment: (variable, how to read it). The one table
#: both ``Settings()`` and ``Settings.from_environment`` use.
_FIELDS: dict[str, tuple[str, Callable[[Mapping[str, str], str], object]]] = {
    "home": ("TPN_HOME", lambda env, name: _path(env, name) or PROJECT_ROOT),
    "recipients_path": ("TPN_RECIPIENTS", _path),
    "rssb_drop_folder": ("TPN_DROP_FOLDER", _path),
    "moh_drop_folder": ("TPN_MOH_DROP_FOLDER", _path),
    "dhis2_drop_folder": ("TPN_DHIS2_DROP_FOLDER", _path),
    "rssb_deadline": ("TPN_RSSB_DEADLINE", _text),
    "pseudonym_salt": ("TPN_PSEUDONYM_SALT", lambda env, name: env.get(name, "")),
    "publish_url": ("TPN_PUBLISH_URL", _text),
    "dbt_log_level": ("TPN_DBT_LOG_LEVEL", lambda env, name: _text(env, name) or "warn"),
    "dbt_threads": ("TPN_DBT_THREADS", _threads),
    # Kept as given and parsed when first used (Settings.smtp): a wrong TPN_SMTP_PORT must
    # not stop the commands that send nothing.
    "smtp_environment": (
        "TPN_SMTP_",
        lambda env, prefix: tuple(sorted((k, v) for k, v in env.items() if k.startswith(prefix))),
    ),
}


def _reader(name: str) -> Callable[[], Any]:
    """A default factory: the field ``name`` read from ``os.environ`` through ``_FIELDS``."""
    variable, read = _FIELDS[name]
    return lambda: read(_environ(), variable)


@dataclass(frozen=True)
class Settings:
    """Where things live and how to reach the outside world; read once, passed down.

    Every field defaults to its environment variable (module docstring), read when the object
    is built; pass a field to override it. Secrets (salt, publish URL, SMTP) stay out of
    ``repr``.
    """

    home: Path = field(default_factory=_reader("home"))
    project_root: Path = PROJECT_ROOT
    recipients_path: Path | None = field(default_factory=_reader("recipients_path"))
    rssb_drop_folder: Path | None = field(default_factory=_reader("rssb_drop_folder"))
    moh_drop_folder: Path | None = field(default_factory=_reader("moh_drop_folder"))
    dhis2_drop_folder: Path | None = field(default_factory=_reader("dhis2_drop_folder"))
    rssb_deadline: str | None = field(default_factory=_reader("rssb_deadline"))
    pseudonym_salt: str = field(default_factory=_reader("pseudonym_salt"), repr=False)
    publish_url: str | None = field(default_factory=_reader("publish_url"), repr=False)
    dbt_log_level: str = field(default_factory=_reader("dbt_log_level"))
    #: None: the threads of dbt_project/profiles.yml (see tpn_metrics.dbt_runner).
    dbt_threads: int | None = field(default_factory=_reader("dbt_threads"))
    smtp_environment: tuple[tuple[str, str], ...] = field(
        default_factory=_reader("smtp_environment"), repr=False
    )

    @classmethod
    def from_environment(cls, environ: Mapping[str, str], **overrides: Any) -> Settings:
        """Settings read from ``environ`` instead of ``os.environ``; ``overrides`` win."""
        values: dict[str, Any] = {
            name: read(environ, variable) for name, (variable, read) in _FIELDS.items()
        }
        values.update(overrides)
        return cls(**values)

    @property
    def smtp(self) -> SmtpSettings | None:
        """SMTP delivery from TPN_SMTP_*; None (the dry-run outbox) when TPN_SMTP_HOST is unset.

        Raises ConfigurationError for unusable values (security, port, timeout, a password
        sent unencrypted off this machine): parsed here, when a command sends mail.
        """
        return SmtpSettings.from_environment(dict(self.smtp_environment))

    @property
    def warehouse_path(self) -> Path:
        """The DuckDB warehouse file: ``<home>/warehouse/tpn.duckdb``."""
        return self.home / "warehouse" / "tpn.duckdb"

    @property
    def landing_store(self) -> Path:
        """Immutable copies of every received file, named by SHA-256."""
        return self.home / "warehouse" / "landing"

    @property
    def outbox_dir(self) -> Path:
        """Dry-run emails (.eml) and notices that could not be sent: ``<home>/outbox``."""
        return self.home / "outbox"

    @property
    def reports_dir(self) -> Path:
        """Evaluation and corrections reports (HTML, Markdown, PNG): ``<home>/reports``."""
        return self.home / "reports"

    @property
    def sample_dir(self) -> Path:
        """The generated sample files of ``tpn demo``: ``<home>/sample_data``."""
        return self.home / "sample_data"

    @property
    def prefect_home(self) -> Path:
        """Prefect's own home when the operator has not set PREFECT_HOME."""
        return self.home / "var" / "prefect"

    @property
    def dbt_project_dir(self) -> Path:
        """The committed dbt project (also its profiles dir)."""
        return self.project_root / "dbt_project"

    @property
    def dbt_target_dir(self) -> Path:
        """dbt's target folder (manifest, run results), under ``home``."""
        # Kept under home so concurrent checkouts or test runs never share dbt's artefacts.
        return self.home / "var" / "dbt_target"

    @property
    def expectations_dir(self) -> Path:
        """The committed Great Expectations context root."""
        return self.project_root / "expectations"

    @property
    def seeds_dir(self) -> Path:
        """dbt seeds of reference data (districts, census populations, hospitals)."""
        return self.dbt_project_dir / "seeds" / "reference"

    @property
    def recipients_file(self) -> Path:
        """The district recipients YAML: TPN_RECIPIENTS, else the committed example."""
        if self.recipients_path is not None:
            return self.recipients_path
        return self.project_root / "tpn_metrics" / "emails" / "recipients.yaml"


def require_folder(path: str, setting: str, what: str) -> Path:
    """``path`` as an existing folder or file, else ConfigurationError naming ``setting``.

    ``{{ $VAR }}`` left literally in a deployment parameter means VAR was unset when
    `prefect deploy` ran: that is what the message says then.
    """
    if "{{" in path or not path.strip():
        raise ConfigurationError(
            f"{setting} was not set when the deployment was created: set it in the shell that "
            f"runs `prefect --no-prompt deploy --all` and deploy again ({what} is {path!r})"
        )
    folder = Path(path)
    if not folder.exists():
        raise ConfigurationError(
            f"{what} {folder} does not exist: create it or point {setting} at the right folder"
        )
    return folder
