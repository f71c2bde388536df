"""tpn_metrics: the Python side of the Twinning Partnership Network warehouse."""

__version__ = "0.1.0"
