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
