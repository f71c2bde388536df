"""What the `tpn` commands share on output: the console, the exit code for refused files and
the options several commands take (resamples, seed)."""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from rich.console import Console

EXIT_QUARANTINED = 3
"""Exit code of a command that refused (quarantined) some input files: everything else was
loaded. 0 is success, 1 a failed run, 2 bad usage."""

# Wide enough for paths in the summary even when output is piped (rich assumes 80 then).
console = Console(width=None if sys.stdout.isatty() else 140)

Resamples = Annotated[int, typer.Option(min=1, help="Permutation/bootstrap resamples")]
Seed = Annotated[int, typer.Option(min=0, help="Random seed; the same seed gives the same bytes")]
