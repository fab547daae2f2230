"""Protocol adapters, keyed by the carrier file's ``protocol`` discriminator.

One line per adapter: adding a protocol family is one module and one entry here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from connectors.protocols.csv_export import CsvExportConnector
from connectors.protocols.graphql import GraphqlConnector
from connectors.protocols.rest import RestConnector
from connectors.protocols.soap import SoapConnector
from connectors.protocols.sonata import SonataConnector
from connectors.protocols.tmf import TmfConnector

if TYPE_CHECKING:
    from collections.abc import Callable

    from connectors.base import Connector
    from connectors.transport import CarrierClient

__all__ = ["ADAPTERS"]

ADAPTERS: dict[str, Callable[[Any, CarrierClient], Connector]] = {
    "tmf": TmfConnector,
    "graphql": GraphqlConnector,
    "csv": CsvExportConnector,
    "sonata": SonataConnector,
    "rest": RestConnector,
    "soap": SoapConnector,
}
