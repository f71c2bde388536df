"""What a pipeline run returns and how it ends: the typed result of the flows in ``flows/``.

The flows wire the stages of :mod:`tpn_metrics.stages` together; they return a
:class:`RunResult` (read by the flow's Markdown artifact, by `tpn run …`/`tpn demo`/
`tpn backfill` and by bench/) and end Failed with :class:`RefusedFilesError` when files were
refused. Both live here, in the package, so the command line never imports the flows.
No Prefect here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tpn_metrics.dbt_runner import DbtRunOutcome
    from tpn_metrics.emails.deliver import DeliveryReport
    from tpn_metrics.stages import CorrectionCheck, EvaluationOutputs, IngestSummary


@dataclass(frozen=True)
class RunResult:
    """The outcome of one run of a pipeline flow (weekly, accreditation, backfill, demo).

    Fields:
    - ``ingest``: every file of the run and what happened to it (loaded, duplicate,
      quarantined, crashed…), with ``counts`` by status.
    - ``build``: the dbt build that refreshed the marts (None when the flow did not report it).
    - ``tables``: rows per warehouse table after the run, ``{"marts.fct_cbhi_weekly": rows}``.
    - ``corrections``: the cross-check of ``marts.fct_cbhi_coverage_corrected`` against the
      Python census projection, with the districts whose RSSB targets are stale (None in the
      accreditation run, which builds no CBHI figures of its own).
    - ``evaluation``: the evaluation tables and report written, None while the warehouse holds
      nothing to evaluate yet (the last report is kept).
    - ``emails``: the district emails of the week (None in runs that send none: accreditation,
      backfill).
    """

    ingest: IngestSummary
    tables: Mapping[str, int]
    evaluation: EvaluationOutputs | None
    corrections: CorrectionCheck | None = None
    emails: DeliveryReport | None = None
    build: DbtRunOutcome | None = field(default=None, compare=False)


class RefusedFilesError(RuntimeError):
    """Some files were quarantined or crashed; everything else was loaded and built."""


def raise_if_refused(summary: IngestSummary) -> None:
    """End a run as Failed (after its work and summary are done) when files were refused, so
    the failure notice names them: nobody reads a green run's artifact for bad news.

    Raises :class:`RefusedFilesError` whose message lists one ``<status> <file>: <reason>``
    line per refused file; returns None when nothing was refused.
    """
    if summary.refused:
        lines = [f"{o.status} {o.file_name}: {o.reason}" for o in summary.refused]
        raise RefusedFilesError(
            f"{len(lines)} file(s) refused, everything else loaded (see `tpn quarantine`):\n"
            + "\n".join(lines)
        )
