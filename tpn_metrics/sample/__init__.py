"""Synthetic input files for the demo, calibrated to the 2024 paper's headline results.

``generate_sample(out_dir, seed)`` writes a year-by-year set of RSSB weekly CBHI updates,
MOH accreditation results and the TPN registry in the formats of the input contracts, and
returns a :class:`SampleManifest` that records the focus groups, the stale RSSB targets and
the calibration targets next to the values the written files actually give.
"""

from tpn_metrics.sample.generator import generate_sample
from tpn_metrics.sample.manifest import (
    CalibrationFigure,
    FocusGroup,
    RssbCorrection,
    SampleManifest,
    StaleDistrict,
)

__all__ = [
    "CalibrationFigure",
    "FocusGroup",
    "RssbCorrection",
    "SampleManifest",
    "StaleDistrict",
    "generate_sample",
]
