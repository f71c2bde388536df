"""Where things live: one object that every command and flow receives.

Run-time outputs (warehouse, landing store, outbox, reports) go under ``home``, which defaults
to the project checkout and can be moved with ``TPN_HOME`` so tests and benchmarks run in a
temporary folder without touching the demo's warehouse.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Settings:
    home: Path = field(default_factory=lambda: Path(os.environ.get("TPN_HOME", PROJECT_ROOT)))
    project_root: Path = PROJECT_ROOT

    @property
    def warehouse_path(self) -> Path:
        return self.home / "warehouse" / "tpn.duckdb"

    @property
    def landing_store(self) -> Path:
        """Immutable copies of every received file, named by SHA-256."""
        return self.home / "warehouse" / "landing"

    @property
    def outbox_dir(self) -> Path:
        return self.home / "outbox"

    @property
    def reports_dir(self) -> Path:
        return self.home / "reports"

    @property
    def sample_dir(self) -> Path:
        return self.home / "sample_data"

    @property
    def dbt_project_dir(self) -> Path:
        return self.project_root / "dbt_project"

    @property
    def dbt_target_dir(self) -> Path:
        # Kept under home so concurrent checkouts or test runs never share dbt's artefacts.
        return self.home / "var" / "dbt_target"

    @property
    def expectations_dir(self) -> Path:
        return self.project_root / "expectations"

    @property
    def seeds_dir(self) -> Path:
        return self.dbt_project_dir / "seeds" / "reference"

    @property
    def recipients_file(self) -> Path:
        return self.project_root / "tpn_metrics" / "reports" / "recipients.yaml"


class ConfigurationError(ValueError):
    """A setting is missing or wrong: the run cannot succeed until a person fixes it.

    Raised before any work, with one line naming the setting. Flows never retry it (a retry
    cannot fix configuration); tasks retry I/O faults only.
    """


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
