"""The connector SDK: normalized records, the connector protocol, errors and the registry.

Everything above this package (auth, gateway) speaks these names; nothing here
imports from above.
"""

from connectors.base import Connector, Fetch
from connectors.errors import (
    CarrierSpecError,
    ConnectorError,
    NotSupportedByCarrier,
    UpstreamError,
    UpstreamInvalid,
    UpstreamTimeout,
    UpstreamUnavailable,
)
from connectors.registry import Registry

__all__ = [
    "CarrierSpecError",
    "Connector",
    "ConnectorError",
    "Fetch",
    "NotSupportedByCarrier",
    "Registry",
    "UpstreamError",
    "UpstreamInvalid",
    "UpstreamTimeout",
    "UpstreamUnavailable",
]
