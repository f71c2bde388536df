"""Publish the warehouse's marts and evaluation tables to another database (PostgreSQL)."""

from tpn_metrics.publish.errors import is_connection_error
from tpn_metrics.publish.sql_publish import (
    PUBLISHED_SCHEMAS,
    PublishReport,
    normalise_url,
    publish,
    safe_url,
)
from tpn_metrics.publish.types import UnsupportedTypeError

__all__ = [
    "PUBLISHED_SCHEMAS",
    "PublishReport",
    "UnsupportedTypeError",
    "is_connection_error",
    "normalise_url",
    "publish",
    "safe_url",
]
