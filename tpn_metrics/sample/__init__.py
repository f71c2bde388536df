"""Synthetic input files for the demo, calibrated to the 2024 paper's headline results.

``generate_sample(out_dir, seed)`` writes a year-by-year set of RSSB weekly CBHI updates,
MOH accreditation results, the TPN registry and DHIS2 (HMIS) exports of the service indicators
in the formats of the input contracts, and returns a :class:`SampleManifest` that records the
focus groups, the stale RSSB targets, the calibration targets next to the values the written
files actually give, and each service topic's focus effect (:class:`ServiceTopic`) with the
districts whose DHIS2 ANC denominators are stale (:class:`StaleDenominator`).
"""

from tpn_metrics.sample.dhis2_effects import ServiceTopic, StaleDenominator
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
    "ServiceTopic",
    "StaleDenominator",
    "StaleDistrict",
    "generate_sample",
]
