"""dbt's project vars, read from ``dbt_project/dbt_project.yml``: the one home of the values
dbt owns (census dates, the other-scheme share, evaluation rules, thresholds).

Python reads them here instead of retyping them; dbt reads them with ``var()``. A value
passed on dbt's command line (``--vars``) is not seen here: the pipeline never passes one.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import yaml

from tpn_metrics.settings import PROJECT_ROOT

DBT_PROJECT_DIR = PROJECT_ROOT / "dbt_project"


def _vars(dbt_project_dir: Path) -> dict[str, Any]:
    # Keyed by the file's modification time: an edited dbt_project.yml is read again.
    path = dbt_project_dir / "dbt_project.yml"
    return _parsed_vars(path, path.stat().st_mtime_ns)


@cache
def _parsed_vars(path: Path, _mtime_ns: int) -> dict[str, Any]:
    dbt_project_dir = path.parent
    project = yaml.safe_load(path.read_text(encoding="utf-8"))
    variables = project.get("vars") or {}
    if not isinstance(variables, dict):
        raise ValueError(f"{dbt_project_dir / 'dbt_project.yml'}: `vars:` is not a mapping")
    return variables


def project_vars(dbt_project_dir: Path = DBT_PROJECT_DIR) -> dict[str, Any]:
    """Every var of ``dbt_project.yml`` as ``{name: value}`` (a fresh copy; values as YAML
    parsed them: int, float, str).

    Raises OSError when the file cannot be read, ValueError when ``vars:`` is not a mapping.
    """
    return dict(_vars(dbt_project_dir))


def project_var(name: str, dbt_project_dir: Path = DBT_PROJECT_DIR) -> Any:
    """One var's value; KeyError naming the var and the file when dbt_project.yml lacks it."""
    variables = _vars(dbt_project_dir)
    if name not in variables:
        raise KeyError(f"dbt var {name!r} is not set in {dbt_project_dir / 'dbt_project.yml'}")
    return variables[name]
