"""Protocol adapters, keyed by the carrier file's ``protocol`` discriminator.

One line per adapter: adding a protocol family is one module and one entry here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from connectors.base import Connector
from connectors.protocols.tmf import TmfConnector
from connectors.transport import CarrierClient

__all__ = ["ADAPTERS"]

ADAPTERS: dict[str, Callable[[Any, CarrierClient], Connector]] = {
    "tmf": TmfConnector,
}
