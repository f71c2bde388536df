"""The one place that *sets* environment variables, for tools that read nothing else.

Our own code reads configuration through :class:`tpn_metrics.settings.Settings` only. Some
tools we drive are configured only through the process environment, so we set it for them:

* **Prefect** reads ``PREFECT_*`` once, when it is first imported: :func:`set_tool_defaults`
  must run before ``import prefect`` (the CLI calls it first). ``setdefault`` keeps whatever
  the operator set.
* **dbt** resolves ``env_var('TPN_WAREHOUSE_PATH')`` in ``dbt_project/profiles.yml`` at each
  invocation: :func:`dbt_invocation_environment` sets it for one call and restores it.
* **Great Expectations** substitutes ``${TPN_GX_RESULTS_DIR}`` and ``${TPN_GX_DOCS_DIR}`` in
  ``expectations/great_expectations.yml`` when the context is built:
  :func:`set_great_expectations_folders` sets them just before.
* **tqdm** (drawn by GX for every validation) is silenced with ``TQDM_DISABLE``; anonymous
  usage reporting of dbt and Prefect is switched off.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tpn_metrics.settings import Settings

# os.environ is process-wide: serialise dbt invocations made from several threads.
_DBT_ENVIRONMENT_LOCK = threading.Lock()


def silence_progress_bars() -> None:
    """GX draws tqdm bars on stderr for every validation; a Friday run validates hundreds."""
    os.environ.setdefault("TQDM_DISABLE", "1")


def set_tool_defaults(settings: Settings) -> None:
    """Quiet, local defaults for Prefect, dbt and tqdm; call before Prefect is imported.

    PREFECT_HOME defaults to ``settings.prefect_home`` (created: Prefect creates only the
    last level of it). Variables the operator set are left as they are.
    """
    prefect_home = Path(os.environ.setdefault("PREFECT_HOME", str(settings.prefect_home)))
    prefect_home.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    # A fresh temporary server migrates its database first: ~20 s on 2 cores, Prefect's
    # default startup timeout.
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "180")
    os.environ.setdefault("DO_NOT_TRACK", "1")
    os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
    silence_progress_bars()


@contextmanager
def dbt_invocation_environment(warehouse_path: Path) -> Iterator[None]:
    """Set dbt's ``TPN_WAREHOUSE_PATH`` (and usage stats off) for one invocation, then restore.

    Invocations from several threads are serialised: the environment is process-wide.
    """
    overrides = {
        "TPN_WAREHOUSE_PATH": str(warehouse_path),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }
    with _DBT_ENVIRONMENT_LOCK:
        saved = {name: os.environ.get(name) for name in overrides}
        os.environ.update(overrides)
        try:
            yield
        finally:
            for name, value in saved.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value


def set_great_expectations_folders(results_dir: Path, docs_dir: Path) -> None:
    """Point great_expectations.yml's run-time folders under TPN_HOME, not the committed context."""
    os.environ["TPN_GX_RESULTS_DIR"] = str(results_dir)
    os.environ["TPN_GX_DOCS_DIR"] = str(docs_dir)
