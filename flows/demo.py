"""The demo: generate the embedded sample data, then run the weekly pipeline over all of it."""

from __future__ import annotations

from prefect import flow

from flows.tasks import generate_sample_files
from flows.weekly_cbhi import weekly_cbhi
from tpn_metrics.runs import RunResult
from tpn_metrics.settings import Settings


@flow(name="tpn-demo")
def tpn_demo(home: str | None = None, seed: int = 2024, n_resamples: int = 10_000) -> RunResult:
    """The weekly run's result over the whole sample (emails to the outbox only).

    Parameters: home, the TPN_HOME to fill; seed, of the sample data; n_resamples, of the
    permutation test and bootstrap.
    """
    home = home or str(Settings().home)
    sample_dir = generate_sample_files(home, seed)
    # Sample data: never to real district teams, whatever TPN_SMTP_HOST says.
    return weekly_cbhi(drop_folder=sample_dir, home=home, use_smtp=False, n_resamples=n_resamples)
