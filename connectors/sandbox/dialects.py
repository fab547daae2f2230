"""Sandbox back offices by protocol family: one entry per dialect the sandbox speaks.

A back office answers its carrier's wire requests from the carrier's slice of the
data set, in that carrier's vocabulary (the inverse of its carrier file's maps). The
server around it handles what every dialect shares: latency, hangs, injected errors,
credentials and the request log. Adding a family is one import and one line here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

from connectors.sandbox.csv_app import CsvCarrierBackOffice
from connectors.sandbox.graphql_app import GraphqlCarrierBackOffice
from connectors.sandbox.rest_app import RestCarrierBackOffice
from connectors.sandbox.soap_app import SoapCarrierBackOffice
from connectors.sandbox.sonata_app import SonataCarrierBackOffice
from connectors.sandbox.tmf_app import TmfCarrierBackOffice

if TYPE_CHECKING:
    from collections.abc import Callable

    from starlette.requests import Request
    from starlette.responses import Response

    from connectors.models import Resource
    from connectors.sandbox.dataset import CarrierData
    from connectors.sandbox.faults import GarbageMode

__all__ = ["BACK_OFFICES", "BackOffice"]


class BackOffice(Protocol):
    """One sandbox carrier's wire-level answers."""

    def resource_of(self, path: str) -> Resource | None:
        """Which resource a request path asks for (for the request log), if any."""
        ...

    async def answer(self, request: Request, path: str, garbage: GarbageMode) -> Response:
        """Answer one request (path relative to the carrier's base URL).

        ``garbage`` other than ``"none"`` asks for an answer that breaks the dialect's
        wire contract: a body that does not parse (``not_json``), a document of the
        wrong shape (``wrong_shape``), or a record with an unmapped code and a missing
        required field (``bad_record``).

        A dialect whose requests all go to one path (GraphQL, SOAP) sets
        ``request.state.resource`` to the resource it answered, for the request log.
        """
        ...


BACK_OFFICES: dict[str, Callable[[Any, CarrierData], BackOffice]] = {
    "tmf": TmfCarrierBackOffice,
    "graphql": GraphqlCarrierBackOffice,
    "csv": CsvCarrierBackOffice,
    "sonata": SonataCarrierBackOffice,
    "rest": RestCarrierBackOffice,
    "soap": SoapCarrierBackOffice,
}
